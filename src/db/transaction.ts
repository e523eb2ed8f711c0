import type { AfterCommitTask, RequestContext } from '../context';
import { faultPoint } from '../faults';
import { refusedByServer } from './errors';

/**
 * Runs `work` in one database transaction, or inside the caller's if one is already open. Tasks
 * registered with `afterCommit` run only once the outermost transaction has committed, those
 * registered with `afterRollback` only once it has certainly not. `operation` names the fault points
 * `<operation>:before-commit` and `<operation>:after-commit` (src/faults.ts) of an outermost one.
 */
export async function transactional<T>(
  context: RequestContext,
  work: (context: RequestContext) => Promise<T>,
  operation?: string,
): Promise<T> {
  if (context.transaction) return work(context);
  const committed: AfterCommitTask[] = [];
  const rolledBack: AfterCommitTask[] = [];
  let committing = false;
  let result: T;
  try {
    result = await context.manager.transaction(async (manager) => {
      const done = await work({
        ...context,
        manager,
        transaction: {
          afterCommit: (task) => committed.push(task),
          afterRollback: (task) => rolledBack.push(task),
        },
      });
      if (operation) faultPoint(`${operation}:before-commit`);
      committing = true;
      return done;
    });
  } catch (error) {
    // A COMMIT whose answer was lost (the connection broke) may well have taken effect: undoing its
    // side effects then would, say, delete the bytes of a blob that did commit. The sweeper removes
    // whatever really was left unreferenced, once the hour is up.
    if (committing && !refusedByServer(error)) {
      context.log.warn(
        { err: error },
        'transaction outcome unknown: after-rollback tasks left to the sweeper',
      );
    } else {
      await runTasks(context, rolledBack, 'after-rollback');
    }
    throw error;
  }
  if (operation) faultPoint(`${operation}:after-commit`);
  await runTasks(context, committed, 'after-commit');
  return result;
}

/** Runs every task even when one fails: each failure is logged, none reaches the caller. */
async function runTasks(context: RequestContext, tasks: AfterCommitTask[], kind: string): Promise<void> {
  for (const task of tasks) {
    try {
      await task(context);
    } catch (error) {
      context.log.error({ err: error }, `${kind} task failed`);
    }
  }
}

/**
 * Runs `task` if the current transaction certainly rolls back. Without a transaction there is nothing
 * to roll back: whatever was written has already taken effect, so the task is dropped.
 */
export function afterRollback(context: RequestContext, task: AfterCommitTask): void {
  context.transaction?.afterRollback(task);
}

/** Runs `task` after the current transaction commits, or now when there is none. */
export async function afterCommit(context: RequestContext, task: AfterCommitTask): Promise<void> {
  if (context.transaction) {
    context.transaction.afterCommit(task);
    return;
  }
  await task(context);
}
