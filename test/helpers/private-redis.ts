import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { findFreePort } from '../../src/db/embedded-postgres';

/**
 * A Redis server of a test's own, on a free port of 127.0.0.1, never the machine's: a test may stop
 * it, kill it, and start it again from the data it saved. It saves only when told (`save`), so a
 * restart brings back exactly that snapshot.
 */
export class PrivateRedis {
  private process: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(
      await findFreePort(),
      await mkdtemp(path.join(os.tmpdir(), 'picvault-redis-')),
    );
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again, if it runs) from whatever it saved last, and waits until it answers. */
  async restart(): Promise<void> {
    await this.kill();
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir];
    args.push('--dbfilename', 'dump.rdb', '--save', '', '--appendonly', 'no', '--protected-mode', 'no');
    this.process = spawn('redis-server', args, { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const client = new Redis(this.url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.ping();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        client.disconnect();
      }
    }
  }

  /** Writes what it holds now to disk: a later restart starts from this. */
  async save(): Promise<void> {
    const client = new Redis(this.url);
    try {
      await client.save();
    } finally {
      client.disconnect();
    }
  }

  /** Kills the server as a crash would (SIGKILL), and waits until it is gone. */
  async kill(): Promise<void> {
    const running = this.process;
    this.process = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  }

  /** Kills the server and removes its data. */
  async remove(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}
