import http from 'node:http';

export interface LoadOptions {
  /** Requests to send; the figure is always over exactly this many unless `maxSeconds` runs out. */
  count: number;
  concurrency: number;
  /** Stop issuing requests after this long, so a slow server cannot hold the run. */
  maxSeconds: number;
  /** Sends request `index` and throws when its answer is not the expected one. */
  send: (index: number, agent: http.Agent) => Promise<void>;
}

export interface LoadResult {
  requests: number;
  failures: number;
  firstFailure?: string;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** The value below which `fraction` of the sorted values lie (nearest rank); NaN for none. */
export function percentile(sorted: number[], fraction: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

/** `concurrency` workers share one keep-alive agent and take requests from a counter until `count`. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(options.maxSeconds * 1e9);
  const worker = async () => {
    while (next < options.count && process.hrtime.bigint() < deadline) {
      const index = next++;
      const sent = process.hrtime.bigint();
      try {
        await options.send(index, agent);
        latencies.push(Number(process.hrtime.bigint() - sent) / 1e6);
      } catch (error) {
        failures += 1;
        firstFailure ??= (error as Error).message;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    agent.destroy();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length + failures,
    failures,
    firstFailure,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}
