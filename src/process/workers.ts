import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../logger';

/** A worker that dies after this long serving is replaced; one that dies sooner stops the server. */
const STEADY_AFTER_MS = 5_000;
const RESTART_DELAY_MS = 1_000;
/** Each worker drains for up to 10 s itself; this is for one that hangs. */
const STOP_TIMEOUT_MS = 15_000;

/** Tells a forked worker which of the primary's slots it fills: slot 0 runs the upkeep. */
export const WORKER_SLOT_VARIABLE = 'PICVAULT_WORKER_SLOT';

export interface WorkerPool {
  /** Resolves once every worker listens; rejects when one exits before it does. */
  ready: Promise<void>;
  /** Asks every worker to drain (SIGTERM) and resolves once all have exited. */
  stop(): Promise<void>;
}

/**
 * `count` copies of this program as `node:cluster` workers sharing one port, each with what it needs
 * in its environment. A worker that crashes after it was serving is replaced in its slot; one that
 * cannot start means the settings or the machine are wrong, so `onFatal` is told instead of looping.
 */
export function startWorkers(
  count: number,
  environment: Record<string, string>,
  logger: Logger,
  onFatal: (error: Error) => void,
): WorkerPool {
  let stopping = false;
  const slots = new Map<Worker, { slot: number; listeningAt: number | null }>();
  let listening = 0;
  let markReady!: () => void;
  let markFailed!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    markFailed = reject;
  });

  const fork = (slot: number) => {
    const worker = cluster.fork({ ...environment, [WORKER_SLOT_VARIABLE]: String(slot) });
    slots.set(worker, { slot, listeningAt: null });
    worker.once('listening', () => {
      slots.get(worker)!.listeningAt = Date.now();
      if (++listening === count) markReady();
    });
    worker.once('exit', (code, signal) => {
      const { listeningAt } = slots.get(worker)!;
      slots.delete(worker);
      if (stopping) return;
      const failure = new Error(`worker ${slot} exited (${signal ?? `code ${code}`})`);
      if (listeningAt === null || Date.now() - listeningAt < STEADY_AFTER_MS) {
        markFailed(failure);
        onFatal(failure);
        return;
      }
      logger.error({ slot, code, signal }, 'a worker died: starting another in its place');
      setTimeout(() => !stopping && fork(slot), RESTART_DELAY_MS).unref();
    });
  };
  for (let slot = 0; slot < count; slot += 1) fork(slot);

  return {
    ready,
    stop: async () => {
      stopping = true;
      const exits = [...slots.keys()].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const killer = setTimeout(() => worker.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
            worker.once('exit', () => {
              clearTimeout(killer);
              resolve();
            });
            worker.process.kill('SIGTERM');
          }),
      );
      await Promise.all(exits);
    },
  };
}
