import { Client } from 'pg';
import type { Logger } from '../logger';

const RETAKE_DELAY_MS = 1_000;

export interface HeldLockOptions {
  url: string;
  /** The advisory lock's key: a bigint, as text. */
  key: string;
  shared: boolean;
  /** What the lock is for, in the log lines about it. */
  purpose: string;
  logger: Logger;
}

/**
 * A session-level advisory lock held for a process's lifetime on a connection of its own. Postgres
 * lets it go the moment the process dies, however it dies; and when the connection drops instead
 * (Postgres restarting, a network cut), it is taken again as soon as the database answers. Without
 * a listener for that drop, pg would throw its error event at the process and end it.
 */
export class HeldLock {
  private client: Client | null = null;
  private released = false;

  private constructor(private readonly options: HeldLockOptions) {}

  static async take(options: HeldLockOptions): Promise<HeldLock> {
    const lock = new HeldLock(options);
    await lock.lock();
    return lock;
  }

  /** The connection that holds the lock, for statements that must run on it; null while it is retaken. */
  get connection(): Client | null {
    return this.client;
  }

  async release(): Promise<void> {
    this.released = true;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async lock(): Promise<void> {
    const client = new Client({ connectionString: this.options.url });
    let holding = false;
    client.on('error', () => holding && this.lost(client));
    client.on('end', () => holding && this.lost(client));
    await client.connect();
    try {
      const take = this.options.shared ? 'pg_advisory_lock_shared' : 'pg_advisory_lock';
      await client.query(`SELECT ${take}($1::bigint)`, [this.options.key]);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.released) {
      await client.end().catch(() => undefined);
      return;
    }
    holding = true;
    this.client = client;
  }

  private lost(client: Client): void {
    if (this.client !== client || this.released) return;
    this.client = null;
    const { logger, purpose } = this.options;
    logger.warn(`lost the connection that holds the ${purpose}; taking it again`);
    const retake = () => {
      if (this.released) return;
      this.lock().then(
        () => this.client && logger.info(`took the ${purpose} again`),
        () => setTimeout(retake, RETAKE_DELAY_MS).unref(),
      );
    };
    setTimeout(retake, RETAKE_DELAY_MS).unref();
  }
}
