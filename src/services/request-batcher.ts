type Waiter<V> = { resolve: (value: V) => void; reject: (error: unknown) => void };

/**
 * Collects the keys asked for while one level of a GraphQL result resolves and loads them with one
 * call, so a list of N items costs one query instead of N. Results are not cached: a later load asks
 * again and sees what has changed since.
 */
export class RequestBatcher<K, V> {
  private queue = new Map<K, Waiter<V>[]>();

  constructor(
    private readonly loadAll: (keys: K[]) => Promise<Map<K, V>>,
    private readonly absent: V,
  ) {}

  load(key: K): Promise<V> {
    return new Promise((resolve, reject) => {
      // As DataLoader does: wait for the promises already resolving, then one more tick, so sibling
      // field resolvers all enqueue before the query runs.
      if (this.queue.size === 0) void Promise.resolve().then(() => process.nextTick(() => void this.flush()));
      const waiters = this.queue.get(key) ?? [];
      waiters.push({ resolve, reject });
      this.queue.set(key, waiters);
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = new Map();
    try {
      const values = await this.loadAll([...batch.keys()]);
      for (const [key, waiters] of batch)
        for (const waiter of waiters) waiter.resolve(values.get(key) ?? this.absent);
    } catch (error) {
      for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
    }
  }
}

/** One batcher per request: each works with its own request's database manager and dies with it. */
export function batcherPerRequest<C extends object, K, V>(create: (context: C) => RequestBatcher<K, V>) {
  const batchers = new WeakMap<C, RequestBatcher<K, V>>();
  return (context: C): RequestBatcher<K, V> => {
    let batcher = batchers.get(context);
    if (!batcher) {
      batcher = create(context);
      batchers.set(context, batcher);
    }
    return batcher;
  };
}
