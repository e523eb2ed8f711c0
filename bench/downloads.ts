import type { DownloadClient } from './http-client';
import { servingCpuSeconds } from './processes';
import { megabytesPerSecond } from './report';

/** Each byte figure is the best of this many runs, interleaved: the machine is shared. */
export const REPEATS = Number(process.env.BENCH_REPEATS || 3);
/** A download round takes seconds where an upload round takes a minute: twice as many cost little. */
export const DOWNLOAD_REPEATS = 2 * REPEATS;

/** A download of 1 GiB takes seconds; one that takes minutes has hung. */
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

/** One pass over the bytes: its rate in MB/s and the CPU seconds the reading process spent. */
export interface Pass {
  rate: number;
  cpuSeconds: number;
}

/** The best of several passes: the fastest rate and, apart from it, the least CPU. */
export function bestPass(passes: Pass[]): Pass {
  return {
    rate: Math.max(...passes.map((pass) => pass.rate)),
    cpuSeconds: Math.min(...passes.map((pass) => pass.cpuSeconds)),
  };
}

/** One download of the whole file from the server `pid`, timed; throws unless every byte arrived. */
export async function timedDownload(
  client: DownloadClient,
  url: string,
  pid: number,
  size: number,
  headers: Record<string, string> = {},
): Promise<Pass> {
  const cpuBefore = await servingCpuSeconds(pid);
  const fetched = await client.download(url, DOWNLOAD_TIMEOUT_MS, headers);
  if (fetched.status !== 200 || fetched.bytes !== size) {
    throw new Error(`${url} answered ${fetched.status} with ${fetched.bytes} bytes`);
  }
  return {
    rate: megabytesPerSecond(size, fetched.seconds),
    cpuSeconds: (await servingCpuSeconds(pid)) - cpuBefore,
  };
}
