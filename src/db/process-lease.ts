import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { Logger } from '../logger';

const RELOCK_DELAY_MS = 1_000;

/** An owner id (16 hex digits) as the bigint key of its advisory lock. */
const lockKeyOf = (owner: string) => BigInt.asIntN(64, BigInt(`0x${owner}`)).toString();

/**
 * This process's claim on the temporary objects it writes: a random owner id, and a session-level
 * advisory lock on it, held on a connection of its own for as long as the process lives. Postgres
 * lets the lock go the moment the process dies, however it dies, so any other process (a worker, an
 * instance, this one restarted) can tell a dead owner's leftovers, which it removes at once, from a
 * live one's uploads, which it leaves alone.
 *
 * When the connection drops (Postgres restarting), the lock is taken again as soon as it is back.
 * Meanwhile a sweep elsewhere could take this process for dead; sweeps run at start and hourly, so
 * the window is small, and what it costs is an upload in flight that fails and can be sent again.
 */
export class ProcessLease {
  readonly owner = randomBytes(8).toString('hex');
  private client: Client | null = null;
  private released = false;

  private constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  static async acquire(url: string, logger: Logger): Promise<ProcessLease> {
    const lease = new ProcessLease(url, logger);
    await lease.lock();
    return lease;
  }

  /** Whether the process that wrote `owner`'s objects still lives; throws when it cannot tell. */
  async isAlive(owner: string): Promise<boolean> {
    if (owner === this.owner) return true;
    if (!this.client) throw new Error('The process lease is not connected: cannot tell who lives');
    const key = lockKeyOf(owner);
    const [{ free }] = (
      await this.client.query<{ free: boolean }>(`SELECT pg_try_advisory_lock($1::bigint) AS free`, [key])
    ).rows;
    if (free) await this.client.query(`SELECT pg_advisory_unlock($1::bigint)`, [key]);
    return !free;
  }

  async release(): Promise<void> {
    this.released = true;
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }

  private async lock(): Promise<void> {
    const client = new Client({ connectionString: this.url });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    await client.connect();
    try {
      await client.query(`SELECT pg_advisory_lock($1::bigint)`, [lockKeyOf(this.owner)]);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
  }

  private lost(client: Client): void {
    if (this.client !== client || this.released) return;
    this.client = null;
    this.logger.warn('lost the connection that holds this process’s lease; taking it again');
    const retry = () => {
      if (this.released) return;
      this.lock().catch(() => setTimeout(retry, RELOCK_DELAY_MS).unref());
    };
    setTimeout(retry, RELOCK_DELAY_MS).unref();
  }
}
