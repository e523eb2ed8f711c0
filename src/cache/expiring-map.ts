/**
 * Process-memory entries that lapse at their own time, at most `maxEntries` of them: at the limit,
 * the oldest entry goes to make room. The in-process fallback of what Redis keeps with EXPIRE.
 */
export class ExpiringMap<Value> {
  private readonly entries = new Map<string, { value: Value; expiresAt: number }>();

  constructor(private readonly maxEntries: number) {}

  get(key: string): Value | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry?.value;
  }

  set(key: string, value: Value, ttlSeconds: number): void {
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: the first entry is the oldest.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
