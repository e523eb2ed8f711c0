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

/**
 * Deletes the `nodes` rows `deleted` the way a delete does, around `work`: another connection locks
 * them FOR UPDATE, `work` starts, and once it waits on one of those locks they are deleted and the
 * deletion committed. `work` meets a file or folder deleted between being read and being used.
 */
export async function withNodeDeletedMidway<T>(
  dataSource: DataSource,
  deleted: string[],
  work: () => Promise<T>,
): Promise<T> {
  const deleter = dataSource.createQueryRunner();
  await deleter.connect();
  try {
    await deleter.startTransaction();
    await deleter.query('SELECT id FROM nodes WHERE id = ANY($1) FOR UPDATE', [deleted]);
    const result = work();
    // Awaited below; a failure while the locks are still awaited must not go unhandled meanwhile.
    result.catch(() => undefined);
    await eventually(async () => {
      const [{ waiting }] = await dataSource.query<{ waiting: number }[]>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (waiting === 0) throw new Error('nothing waits on the locked rows yet');
    });
    await deleter.query('DELETE FROM nodes WHERE id = ANY($1)', [deleted]);
    await deleter.commitTransaction();
    return await result;
  } finally {
    await deleter.release();
  }
}
