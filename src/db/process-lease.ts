import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger';
import { HeldLock } from './held-lock';

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
  private constructor(
    readonly owner: string,
    private readonly lock: HeldLock,
  ) {}

  static async acquire(url: string, logger: Logger): Promise<ProcessLease> {
    const owner = randomBytes(8).toString('hex');
    const lock = await HeldLock.take({
      url,
      key: lockKeyOf(owner),
      shared: false,
      purpose: 'process lease',
      logger,
    });
    return new ProcessLease(owner, lock);
  }

  /** Whether the process that wrote `owner`'s objects still lives; throws when it cannot tell. */
  async isAlive(owner: string): Promise<boolean> {
    if (owner === this.owner) return true;
    const client = this.lock.connection;
    if (!client) throw new Error('The process lease is not connected: cannot tell who lives');
    const key = lockKeyOf(owner);
    const [{ free }] = (
      await client.query<{ free: boolean }>(`SELECT pg_try_advisory_lock($1::bigint) AS free`, [key])
    ).rows;
    if (free) await client.query(`SELECT pg_advisory_unlock($1::bigint)`, [key]);
    return !free;
  }

  release(): Promise<void> {
    return this.lock.release();
  }
}
