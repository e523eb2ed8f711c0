import { ExpiringMap } from './expiring-map';

/** A small string cache with expiry: Redis (NearCache) when configured, process memory otherwise. */
export interface KeyValueCache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
}

export class MemoryKeyValueCache implements KeyValueCache {
  private readonly entries: ExpiringMap<string>;

  constructor(maxEntries = 10_000) {
    this.entries = new ExpiringMap(maxEntries);
  }

  async get(key: string): Promise<string | null> {
    return this.entries.get(key) ?? null;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.set(key, value, ttlSeconds);
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }
}
