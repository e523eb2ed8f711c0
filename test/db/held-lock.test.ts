import { randomInt } from 'node:crypto';
import { HeldLock } from '../../src/db/held-lock';
import { createLogger } from '../../src/logger';
import { testEnvironment } from '../helpers/environment';
import { withAdmin } from '../helpers/test-app';
import { eventually } from '../helpers/wait';

/** The backend pids holding advisory lock `key` (a key below 2^32 is stored in objid alone). */
const holdersOf = (key: number) =>
  withAdmin(async (admin) => {
    const { rows } = await admin.query<{ pid: number; mode: string }>(
      `SELECT pid, mode FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = $1 AND granted`,
      [key],
    );
    return rows;
  });

describe('HeldLock', () => {
  it('takes its lock again when its connection is cut, without ending the process', async () => {
    const key = randomInt(1, 2 ** 31);
    const logs: Record<string, unknown>[] = [];
    const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line)) });
    const lock = await HeldLock.take({
      url: testEnvironment.adminDatabaseUrl,
      key: String(key),
      shared: true,
      purpose: 'test lock',
      logger,
    });
    try {
      const [first] = await holdersOf(key);
      expect(first.mode).toBe('ShareLock');
      await withAdmin((admin) => admin.query(`SELECT pg_terminate_backend($1)`, [first.pid]));
      await eventually(async () => {
        const holders = await holdersOf(key);
        expect(holders).toHaveLength(1);
        expect(holders[0].pid).not.toBe(first.pid);
      }, 10_000);
      expect(lock.connection).not.toBeNull();
      expect(logs.map((line) => line.msg)).toEqual([
        'lost the connection that holds the test lock; taking it again',
        'took the test lock again',
      ]);
    } finally {
      await lock.release();
    }
    expect(await holdersOf(key)).toEqual([]);
  });
});
