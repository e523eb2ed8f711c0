import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

export interface AttemptWindow {
  /** Attempts allowed in one window. */
  attempts: number;
  /** The window opens with the first attempt and ends this long after it, however many follow. */
  seconds: number;
}

/**
 * Counts attempts per key in fixed windows: in Redis when configured, so every process sees one
 * count, else in this process. Each attempt is counted atomically before the work it guards, so
 * concurrent attempts cannot all slip in under the limit. The in-process store never forgets a key
 * before its window ends, so filling it with other keys cannot reset one.
 */
export class AttemptLimiter {
  private readonly limiter: RateLimiterAbstract;

  /** `name` is a fixed word (never user text) that keeps this limiter's keys apart from others'. */
  constructor(name: string, window: AttemptWindow, redis: Redis | null) {
    const options = { keyPrefix: `limit:${name}`, points: window.attempts, duration: window.seconds };
    this.limiter = redis
      ? new RateLimiterRedis({
          ...options,
          storeClient: redis,
          // With Redis unreachable, limits hold in each process rather than not at all, at half the
          // attempts: a client spreading its attempts over several processes gets no more for it.
          insuranceLimiter: new RateLimiterMemory({ ...options, points: Math.ceil(window.attempts / 2) }),
        })
      : new RateLimiterMemory(options);
  }

  /** Counts one attempt for `key`; false when it is over the limit (it still counts). */
  async take(key: string): Promise<boolean> {
    try {
      await this.limiter.consume(key);
      return true;
    } catch (refusal) {
      if (refusal instanceof RateLimiterRes) return false;
      throw refusal;
    }
  }

  /** Takes one attempt back, for an attempt that turned out not to count (a right password). */
  async giveBack(key: string): Promise<void> {
    await this.limiter.reward(key);
  }

  /** Forgets every attempt of `key`. */
  async reset(key: string): Promise<void> {
    await this.limiter.delete(key);
  }
}
