/**
 * What the run has created, undone newest first: on success, on failure, on Ctrl-C and when the
 * watchdog fires, so no database, Redis key, temporary file or process outlives the run.
 */
export class Cleanups {
  private readonly steps: { name: string; run: () => Promise<unknown> }[] = [];

  add(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }

  /** Runs the newest step registered under `name` now, instead of at the end. */
  async runNow(name: string): Promise<void> {
    const index = this.steps.map((step) => step.name).lastIndexOf(name);
    if (index < 0) return;
    const [step] = this.steps.splice(index, 1);
    await step.run();
  }

  async runAll(): Promise<void> {
    while (this.steps.length) {
      const step = this.steps.pop()!;
      await step.run().catch((error: unknown) => {
        process.stderr.write(`cleanup "${step.name}" failed: ${(error as Error).message}\n`);
      });
    }
  }
}

/**
 * Runs `work` with a Cleanups that is run when it ends, however it ends, and on Ctrl-C, SIGTERM or
 * once `watchdogMs` have passed, which also end the process.
 */
export async function withCleanups<T>(
  watchdogMs: number,
  log: (line: string) => void,
  work: (cleanups: Cleanups) => Promise<T>,
): Promise<T> {
  const cleanups = new Cleanups();
  const abort = (why: string, status: number) => {
    log(`${why}: cleaning up`);
    void cleanups.runAll().finally(() => process.exit(status));
  };
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));
  const watchdog = setTimeout(
    () => abort(`still running after ${Math.round(watchdogMs / 60_000)} minutes`, 1),
    watchdogMs,
  );
  try {
    return await work(cleanups);
  } finally {
    clearTimeout(watchdog);
    await cleanups.runAll();
  }
}
