import type { DataSource } from 'typeorm';

/** Polls `check` until it stops throwing, for effects that happen after a response (cleanup on abort). */
export async function eventually(check: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

type Query = (sql: string, parameters?: unknown[]) => Promise<unknown>;

/**
 * Races `work` against another connection's transaction: `begin` runs in it, `work` starts, and once
 * `work` waits on a lock that transaction holds, `end` runs in it and it commits. `work` thus meets a
 * change made between two of its own statements.
 */
export async function racingTransaction<T>(
  dataSource: DataSource,
  begin: (query: Query) => Promise<unknown>,
  end: (query: Query) => Promise<unknown>,
  work: () => Promise<T>,
): Promise<T> {
  const other = dataSource.createQueryRunner();
  await other.connect();
  const query: Query = (sql, parameters) => other.query(sql, parameters);
  try {
    await other.startTransaction();
    await begin(query);
    const result = work();
    // Awaited below; a failure while the locks are still awaited must not go unhandled meanwhile.
    result.catch(() => undefined);
    await eventually(async () => {
      const [{ waiting }] = await dataSource.query<{ waiting: number }[]>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (waiting === 0) throw new Error('nothing waits on the other transaction yet');
    });
    await end(query);
    await other.commitTransaction();
    return await result;
  } finally {
    await other.release();
  }
}

/** `work` meets the `nodes` rows `deleted` locked, then deleted, the way a delete does it. */
export function withNodeDeletedMidway<T>(
  dataSource: DataSource,
  deleted: string[],
  work: () => Promise<T>,
): Promise<T> {
  return racingTransaction(
    dataSource,
    (query) => query('SELECT id FROM nodes WHERE id = ANY($1) FOR UPDATE', [deleted]),
    (query) => query('DELETE FROM nodes WHERE id = ANY($1)', [deleted]),
    work,
  );
}
