import type { AfterCommitTask, RequestContext } from '../context';

/**
 * Runs `work` in one database transaction, or inside the caller's if one is already open. Tasks
 * registered with `afterCommit` run only once the outermost transaction has committed.
 */
export async function transactional<T>(
  context: RequestContext,
  work: (context: RequestContext) => Promise<T>,
): Promise<T> {
  if (context.transaction) return work(context);
  const tasks: AfterCommitTask[] = [];
  const result = await context.manager.transaction((manager) =>
    work({ ...context, manager, transaction: { afterCommit: (task) => tasks.push(task) } }),
  );
  for (const task of tasks) {
    try {
      await task();
    } catch (error) {
      context.log.error({ err: error }, 'after-commit task failed');
    }
  }
  return result;
}

/** Runs `task` after the current transaction commits, or now when there is none. */
export async function afterCommit(context: RequestContext, task: AfterCommitTask): Promise<void> {
  if (context.transaction) {
    context.transaction.afterCommit(task);
    return;
  }
  await task();
}
