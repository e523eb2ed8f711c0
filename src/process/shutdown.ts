import type { Logger } from '../logger';

/** What a process opened, closed again in the reverse order; a step that fails is logged, not fatal. */
export class Shutdown {
  private readonly steps: { name: string; run: () => Promise<unknown> }[] = [];

  constructor(private readonly logger: Logger) {}

  add(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      this.logger.debug({ step: step.name }, 'shutting down');
      await step
        .run()
        .catch((error: unknown) =>
          this.logger.error({ err: error, step: step.name }, 'shutdown step failed'),
        );
    }
  }
}
