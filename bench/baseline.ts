import path from 'node:path';
import type http from 'node:http';
import type { Cleanups } from './cleanups';
import { requestJson } from './http-client';
import type { LoadResult } from './load';
import { freePort, startNodeServer, type ChildServer } from './processes';

const BASELINE_SCRIPT = path.join(__dirname, 'baseline-server.js');

/** `baseline-server.ts` on a free port: uploads go into `folder`, and its files can be downloaded. */
export async function startBaselineServer(
  name: string,
  folder: string,
  cleanups: Cleanups,
): Promise<ChildServer> {
  const port = await freePort();
  return startNodeServer(name, [BASELINE_SCRIPT], [String(port), folder], {}, port, '/ready', cleanups);
}

/** One request for the baseline server's constant JSON answer, checked like a real one. */
export const bareJsonRequest = (server: ChildServer) => (_index: number, agent: http.Agent) =>
  requestJson(`${server.url}/ranking`, { agent, body: { start: 0, count: 10 } }).then((answer) => {
    if ((answer.body as { code?: number }).code !== 0) {
      throw new Error(`bare server failed (${answer.status}): ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
  });

/** A load figure as a share of the bare JSON server's, the ceiling of this client on this machine. */
export function comparedWithBare(load: LoadResult, bare: LoadResult): string {
  return `bare JSON ${bare.perSecond.toFixed(0)} req/s: ${((load.perSecond / bare.perSecond) * 100).toFixed(0)}%`;
}
