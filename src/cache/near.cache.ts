import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import { ExpiringMap } from './expiring-map';
import type { KeyValueCache } from './key-value.cache';
import { onReconnect } from './redis';

/** How long a process trusts its own copy when an invalidation could have been missed. */
const LOCAL_TTL_SECONDS = 5;
const LOCAL_ENTRIES = 10_000;
/** Every key of this cache in Redis starts so, and only its keys do: a repair may drop them all. */
const NAMESPACE = 'cache:';
const REPAIR_RETRY_MS = 1_000;

/**
 * Redis with a copy of each value it served kept a few seconds in process memory: every signed-in
 * request looks its session up, and a round trip to Redis for it costs more than the rest of a small
 * answer. A delete reaches every process at once over pub/sub, so a revoked token stops working
 * everywhere; a process that loses the subscription forgets everything it kept once it is back,
 * and in between keeps nothing longer than LOCAL_TTL_SECONDS.
 *
 * Redis is a cache here, never the truth: when it fails, a read is a miss (the database answers) and
 * a write is skipped. What Redis holds stops being trusted when a delete may not have reached it,
 * or when the connection comes back (Redis may have restarted from older saved data): reads miss
 * until the lost deletes are done again, or after a reconnect until every key of this cache is
 * dropped, so a session ended during an outage never comes back.
 */
export class NearCache implements KeyValueCache {
  private readonly local = new ExpiringMap<string>(LOCAL_ENTRIES);
  private readonly channel: string;
  /** Keys whose delete failed: they must be deleted before Redis is read again. */
  private readonly lostDeletes = new Set<string>();
  /** Reconnects, each of which means every key of this cache must go before Redis is read again. */
  private dropsWanted = 0;
  private dropsDone = 0;
  private repairing: NodeJS.Timeout | null = null;

  private constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly logger: Logger,
  ) {
    this.channel = `${redis.options.keyPrefix ?? ''}cache-invalidations`;
  }

  /** Subscribes to the invalidations of every process sharing `redis` before answering anything. */
  static async connect(redis: Redis, logger: Logger): Promise<NearCache> {
    const subscriber = redis.duplicate({ enableOfflineQueue: true });
    // Its outages are the main connection's too, and logged there.
    subscriber.on('error', () => undefined);
    const cache = new NearCache(redis, subscriber, logger);
    subscriber.on('message', (_channel: string, key: string) => cache.local.delete(key));
    // After a reconnect, deletes sent while it was away were never heard: drop every copy.
    subscriber.on('ready', () => cache.local.clear());
    onReconnect(redis, () => {
      cache.local.clear();
      cache.dropsWanted += 1;
      cache.repair();
    });
    await subscriber.subscribe(cache.channel);
    return cache;
  }

  private get trusted(): boolean {
    return this.dropsDone === this.dropsWanted && this.lostDeletes.size === 0;
  }

  async get(key: string): Promise<string | null> {
    const kept = this.local.get(key);
    if (kept !== undefined) return kept;
    if (!this.trusted) return null;
    const value = await this.redis.get(NAMESPACE + key).catch(() => null);
    if (value !== null) this.local.set(key, value, LOCAL_TTL_SECONDS);
    return value;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.local.set(key, value, Math.min(ttlSeconds, LOCAL_TTL_SECONDS));
    await this.redis.set(NAMESPACE + key, value, 'EX', ttlSeconds).catch(() => undefined);
  }

  async delete(key: string): Promise<void> {
    this.local.delete(key);
    try {
      await this.forget([key]);
    } catch {
      this.lostDeletes.add(key);
      this.repair();
    }
  }

  async close(): Promise<void> {
    if (this.repairing) clearTimeout(this.repairing);
    await this.subscriber.quit();
  }

  private async forget(keys: string[]): Promise<void> {
    await this.redis.del(...keys.map((key) => NAMESPACE + key));
    for (const key of keys) await this.redis.publish(this.channel, key);
  }

  /** Tries, until it succeeds, to make Redis trustworthy again; reads miss meanwhile. */
  private repair(delayMs = 0): void {
    if (this.repairing) return;
    this.repairing = setTimeout(() => {
      this.repairing = null;
      this.tryRepair().then(
        () => this.trusted || this.repair(REPAIR_RETRY_MS),
        () => this.repair(REPAIR_RETRY_MS),
      );
    }, delayMs).unref();
  }

  private async tryRepair(): Promise<void> {
    const wanted = this.dropsWanted;
    if (this.dropsDone !== wanted) {
      await this.dropNamespace();
      this.dropsDone = wanted;
      this.logger.info('dropped the shared cache, which may be older than Redis’s outage');
    }
    const keys = [...this.lostDeletes];
    if (keys.length) {
      await this.forget(keys);
      for (const key of keys) this.lostDeletes.delete(key);
    }
  }

  private async dropNamespace(): Promise<void> {
    const prefix = this.redis.options.keyPrefix ?? '';
    let cursor = '0';
    do {
      // SCAN answers whole names, which the client would prefix again.
      const [next, names] = await this.redis.scan(cursor, 'MATCH', `${prefix}${NAMESPACE}*`, 'COUNT', 1000);
      if (names.length) await this.redis.del(...names.map((name) => name.slice(prefix.length)));
      cursor = next;
    } while (cursor !== '0');
  }
}
