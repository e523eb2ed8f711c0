import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import { ExpiringMap } from './expiring-map';
import type { KeyValueCache } from './key-value.cache';

/** How long a process trusts its own copy when an invalidation could have been missed. */
const LOCAL_TTL_SECONDS = 5;
const LOCAL_ENTRIES = 10_000;

/**
 * Redis with a copy of each value it served kept a few seconds in process memory: every signed-in
 * request looks its session up, and a round trip to Redis for it costs more than the rest of a small
 * answer. A delete reaches every process at once over pub/sub, so a revoked token stops working
 * everywhere; a process that loses the subscription forgets everything it kept once it is back,
 * and in between keeps nothing longer than LOCAL_TTL_SECONDS.
 */
export class NearCache implements KeyValueCache {
  private readonly local = new ExpiringMap<string>(LOCAL_ENTRIES);
  private readonly channel: string;

  private constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
  ) {
    this.channel = `${redis.options.keyPrefix ?? ''}cache-invalidations`;
  }

  /** Subscribes to the invalidations of every process sharing `redis` before answering anything. */
  static async connect(redis: Redis, logger: Logger): Promise<NearCache> {
    const subscriber = redis.duplicate();
    subscriber.on('error', (error: Error) => logger.warn({ err: error }, 'redis subscriber error'));
    const cache = new NearCache(redis, subscriber);
    subscriber.on('message', (_channel: string, key: string) => cache.local.delete(key));
    // After a reconnect, deletes sent while it was away were never heard: drop every copy.
    subscriber.on('ready', () => cache.local.clear());
    await subscriber.subscribe(cache.channel);
    return cache;
  }

  async get(key: string): Promise<string | null> {
    const kept = this.local.get(key);
    if (kept !== undefined) return kept;
    const value = await this.redis.get(key);
    if (value !== null) this.local.set(key, value, LOCAL_TTL_SECONDS);
    return value;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(key, value, 'EX', ttlSeconds);
    this.local.set(key, value, Math.min(ttlSeconds, LOCAL_TTL_SECONDS));
  }

  async delete(key: string): Promise<void> {
    this.local.delete(key);
    await this.redis.del(key);
    await this.redis.publish(this.channel, key);
  }

  async close(): Promise<void> {
    await this.subscriber.quit();
  }
}
