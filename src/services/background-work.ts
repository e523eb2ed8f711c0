/**
 * Work a request starts and does not wait for (removing bytes no row needs, writing the ranking to
 * Redis), kept track of so that shutdown, and tests, can wait until it is done.
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<void>>();

  /** Starts `task`; a failure is the task's own to handle, so it must not reject. */
  start(task: () => Promise<void>): void {
    const running = task().finally(() => this.running.delete(running));
    this.running.add(running);
  }

  /** Resolves once every task started so far, and any they started, has finished. */
  async settled(): Promise<void> {
    while (this.running.size) await Promise.all(this.running);
  }
}
