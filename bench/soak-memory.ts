/**
 * The soak's memory rule: a server that serves the same mix for longer must not need more memory.
 * RSS (the server's processes together) is sampled every second; the first 20% of the run is warm-up
 * (pools fill, code is compiled, caches reach their bounds). After it the RSS may wander but not keep
 * rising: the run fails when the peak of its last quarter exceeds the peak of its second quarter by
 * more than 20% plus 30 MB. Peaks, not means, since garbage collection makes RSS a saw; the slack
 * absorbs one collection more or less, while a leak of a few kilobytes a request over minutes passes it.
 */
import { residentBytes, workerPids, type ChildServer } from './processes';

const SAMPLE_INTERVAL_MS = 1000;
export const WARM_UP_SHARE = 0.2;
const GROWTH_FACTOR = 1.2;
const GROWTH_SLACK_BYTES = 30e6;

interface Sample {
  /** Since sampling started. */
  seconds: number;
  bytes: number;
}

/** The RSS of a server's primary and all its workers together. */
async function serverRss(server: ChildServer): Promise<number> {
  const pids = [server.pid, ...(await workerPids(server.pid))];
  const sizes = await Promise.all(pids.map((pid) => residentBytes(pid).catch(() => 0)));
  return sizes.reduce((sum, size) => sum + size, 0);
}

/** Samples a server's RSS every second from `start()` until `stop()`. */
export class RssSampler {
  private readonly samples: Sample[] = [];
  private timer?: NodeJS.Timeout;
  private started = 0;

  constructor(private readonly server: ChildServer) {}

  async start(): Promise<void> {
    this.started = Date.now();
    await this.sample();
    this.timer = setInterval(() => void this.sample(), SAMPLE_INTERVAL_MS);
  }

  async stop(): Promise<Sample[]> {
    clearInterval(this.timer);
    await this.sample();
    return this.samples;
  }

  private async sample(): Promise<void> {
    const bytes = await serverRss(this.server).catch(() => 0);
    if (bytes) this.samples.push({ seconds: (Date.now() - this.started) / 1000, bytes });
  }
}

export interface MemoryVerdict {
  start: number;
  afterWarmUp: number;
  end: number;
  max: number;
  secondQuarterMax: number;
  lastQuarterMax: number;
  /** The most the last quarter's peak may be. */
  limit: number;
  grew: boolean;
  /** The peak of each tenth of the run: the shape of the curve. */
  tenths: number[];
}

const peak = (samples: Sample[]) => Math.max(0, ...samples.map((sample) => sample.bytes));

/** Applies the rule above to samples of a run of `seconds`. */
export function judgeMemory(samples: Sample[], seconds: number): MemoryVerdict {
  const between = (from: number, to: number) =>
    samples.filter((sample) => sample.seconds >= from * seconds && sample.seconds < to * seconds);
  const afterWarmUp = samples.find((sample) => sample.seconds >= WARM_UP_SHARE * seconds) ?? samples[0];
  const secondQuarterMax = peak(between(0.25, 0.5));
  const lastQuarterMax = peak(between(0.75, Number.POSITIVE_INFINITY));
  const limit = secondQuarterMax * GROWTH_FACTOR + GROWTH_SLACK_BYTES;
  return {
    start: samples[0].bytes,
    afterWarmUp: afterWarmUp.bytes,
    end: samples[samples.length - 1].bytes,
    max: peak(samples),
    secondQuarterMax,
    lastQuarterMax,
    limit,
    grew: lastQuarterMax > limit,
    tenths: Array.from({ length: 10 }, (_, tenth) => peak(between(tenth / 10, (tenth + 1) / 10))),
  };
}
