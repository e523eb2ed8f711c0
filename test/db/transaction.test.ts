import type { RequestContext } from '../../src/context';
import { afterCommit, afterRollback, transactional } from '../../src/db/transaction';
import { backgroundContext, startTestApp, type TestApp } from '../helpers/test-app';
import { eventually } from '../helpers/wait';

describe('transactional', () => {
  let app: TestApp;
  let context: RequestContext;

  beforeAll(async () => {
    app = await startTestApp({ redis: false });
    context = backgroundContext(app, 'transaction-test');
  });

  afterAll(() => app.close());

  /** Runs `work` in a transaction that registers one task of each kind; which of them ran. */
  async function tasksRun(work: (inside: RequestContext) => Promise<void>): Promise<string[]> {
    const ran: string[] = [];
    await transactional(context, async (inside) => {
      await afterCommit(inside, async () => void ran.push('after-commit'));
      afterRollback(inside, async () => void ran.push('after-rollback'));
      await work(inside);
    }).catch(() => ran.push('failed'));
    return ran;
  }

  it('runs after-commit tasks once committed', async () => {
    expect(await tasksRun(async () => undefined)).toEqual(['after-commit']);
  });

  it('runs after-rollback tasks when the work fails', async () => {
    const ran = await tasksRun(async (inside) => {
      await inside.manager.query(`SELECT 1/0`);
    });
    expect(ran).toEqual(['after-rollback', 'failed']);
  });

  it('runs after-rollback tasks when the server refuses the COMMIT itself', async () => {
    const ran = await tasksRun(async (inside) => {
      await inside.manager.query(
        `CREATE TEMP TABLE deferred_check (id int UNIQUE DEFERRABLE INITIALLY DEFERRED) ON COMMIT DROP`,
      );
      await inside.manager.query(`INSERT INTO deferred_check VALUES (1), (1)`);
    });
    expect(ran).toEqual(['after-rollback', 'failed']);
  });

  it('runs neither kind when the connection breaks at COMMIT, as the COMMIT may have taken effect', async () => {
    const ran = await tasksRun(async (inside) => {
      const [{ pid }] = await inside.manager.query<{ pid: number }[]>(`SELECT pg_backend_pid() AS pid`);
      await app.dataSource.query(`SELECT pg_terminate_backend($1)`, [pid]);
      await eventually(async () => {
        const rows = await app.dataSource.query<unknown[]>(`SELECT 1 FROM pg_stat_activity WHERE pid = $1`, [
          pid,
        ]);
        expect(rows).toEqual([]);
      });
    });
    expect(ran).toEqual(['failed']);
  });
});
