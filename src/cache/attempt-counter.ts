import type { Redis } from 'ioredis';
import { ExpiringMap } from './expiring-map';

/**
 * Counts attempts per key in a window that opens with the first one and closes `windowSeconds`
 * later: Redis when configured, so every instance sees the same count, process memory otherwise.
 */
export interface AttemptCounter {
  /** Counts one more attempt and answers how many the window now holds. */
  add(key: string, windowSeconds: number): Promise<number>;
  count(key: string): Promise<number>;
  reset(key: string): Promise<void>;
}

export class RedisAttemptCounter implements AttemptCounter {
  constructor(private readonly redis: Redis) {}

  async add(key: string, windowSeconds: number): Promise<number> {
    // NX: later attempts must not push the window's end back, or a slow guesser is never let go.
    const replies = await this.redis.multi().incr(key).expire(key, windowSeconds, 'NX').exec();
    const [error, count] = replies![0];
    if (error) throw error;
    return count as number;
  }

  async count(key: string): Promise<number> {
    return Number(await this.redis.get(key)) || 0;
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(key);
  }
}

export class MemoryAttemptCounter implements AttemptCounter {
  /** The count is an object so that counting on keeps the window's end where the first attempt put it. */
  private readonly windows: ExpiringMap<{ count: number }>;

  constructor(maxKeys = 10_000) {
    this.windows = new ExpiringMap(maxKeys);
  }

  async add(key: string, windowSeconds: number): Promise<number> {
    const open = this.windows.get(key);
    if (open) {
      open.count += 1;
      return open.count;
    }
    this.windows.set(key, { count: 1 }, windowSeconds);
    return 1;
  }

  async count(key: string): Promise<number> {
    return this.windows.get(key)?.count ?? 0;
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key);
  }
}
