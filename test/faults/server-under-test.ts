import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '../../src/db/embedded-postgres';
import { LocalBlobStore } from '../../src/storage/local.storage';
import { databaseUrl, testEnvironment } from '../helpers/environment';
import { checkInvariants, type InvariantReport } from '../helpers/invariants';
import { delay, exitWithin, startMain, type RunningMain } from '../helpers/main-process';
import { deleteKeys, withAdmin } from '../helpers/test-app';

export interface ServerOptions {
  /** A database of the test's own (a private Postgres); otherwise a clone of the suite's template. */
  databaseUrl?: string;
  /** A Redis of the test's own (a private one); null for none; otherwise the suite's. */
  redisUrl?: string | null;
  /** Where the bytes go (a small tmpfs); otherwise a temporary folder. */
  dataDir?: string;
  env?: Record<string, string>;
}

/** What every test here sends from one address, far past the limits meant for strangers. */
const GENEROUS_LIMITS = {
  LOGIN_IP_LIMIT: '1000000',
  REGISTER_IP_LIMIT: '1000000',
  COUNT_LIMIT_PER_MINUTE: '1000000',
};

/**
 * `node dist/main.js`, one process (WORKERS=1), as an operator runs it, on a port, database, Redis
 * prefix and DATA_DIR that stay the same across its restarts: a test starts it (with a fault point
 * armed, or not), kills it, starts it again, and checks what it left.
 */
export class ServerUnderTest {
  private running: RunningMain | null = null;
  /** The log lines of every run so far, parsed. */
  private readonly earlierLogs: Record<string, unknown>[] = [];

  private constructor(
    readonly url: string,
    readonly databaseUrl: string,
    readonly dataDir: string,
    private readonly settings: Record<string, string>,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async create(options: ServerOptions = {}): Promise<ServerUnderTest> {
    const id = randomBytes(5).toString('hex');
    const database = `picvault_fault_${id}`;
    let url = options.databaseUrl;
    if (!url) {
      await withAdmin((admin) =>
        admin.query(`CREATE DATABASE ${database} TEMPLATE ${testEnvironment.templateDatabase}`),
      );
      url = databaseUrl(testEnvironment.adminDatabaseUrl, database);
    }
    const ownDataDir = !options.dataDir;
    const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'picvault-fault-data-')));
    const redisUrl = options.redisUrl === undefined ? testEnvironment.redisUrl : options.redisUrl;
    const prefix = `picvault-fault:${id}:`;
    const port = await findFreePort();
    const settings: Record<string, string> = {
      ...GENEROUS_LIMITS,
      LOG_LEVEL: 'info',
      WORKERS: '1',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      SECRET: randomBytes(32).toString('hex'),
      DATABASE_URL: url,
      DATA_DIR: dataDir,
      ...(redisUrl && { REDIS_URL: redisUrl, REDIS_PREFIX: prefix }),
      ...options.env,
    };
    return new ServerUnderTest(`http://127.0.0.1:${port}`, url, dataDir, settings, async () => {
      if (redisUrl) await deleteKeys(prefix, redisUrl).catch(() => undefined);
      if (!options.databaseUrl) {
        await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
      }
      if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
    });
  }

  /** Starts the server, with `faultPoint` armed if given, and waits until it listens. */
  async start(faultPoint?: string): Promise<void> {
    if (this.running) throw new Error('the server is already running');
    const running = startMain({ ...this.settings, ...(faultPoint && { FAULT_POINT: faultPoint }) });
    this.running = running;
    const deadline = Date.now() + 60_000;
    let exited = false;
    void running.exited.then(() => (exited = true));
    while (Date.now() < deadline && !exited) {
      // Any answer will do: a server on a full disk or without its database says 503, and listens.
      const status = await fetch(`${this.url}/healthz`).then(
        (response) => response.status,
        () => 0,
      );
      if (status) return;
      await delay(100);
    }
    throw new Error(`the server did not start\n${running.output()}`);
  }

  /** Waits for the server to end itself at its fault point (SIGKILL), or fails saying how it ended. */
  async crashed(timeoutMs = 30_000): Promise<void> {
    const exit = await exitWithin(this.current().exited, timeoutMs);
    if (exit === 'timeout' || exit.signal !== 'SIGKILL') {
      throw new Error(`expected the fault point to kill the server, got ${JSON.stringify(exit)}`);
    }
    this.ended();
  }

  /** Kills the server from outside with SIGKILL, as an operator's `kill -9` or a power cut would. */
  async kill(): Promise<void> {
    const running = this.current();
    running.child.kill('SIGKILL');
    await running.exited;
    this.ended();
  }

  /** Stops the server as an operator would (SIGTERM), and waits for it to end. */
  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    running.child.kill('SIGTERM');
    if ((await exitWithin(running.exited, 30_000)) === 'timeout') {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    this.ended();
  }

  /** Whether the server process is still running. */
  get alive(): boolean {
    return this.running !== null && this.running.child.exitCode === null && !this.running.child.signalCode;
  }

  /** The log lines of every run so far, parsed (the server logs JSON lines at info level). */
  logs(): Record<string, unknown>[] {
    return [...this.earlierLogs, ...parseLogLines(this.running?.stdout() ?? '')];
  }

  /** The server's store, as a second client of it sees it, for the invariants. */
  store(): LocalBlobStore {
    return new LocalBlobStore(path.join(this.dataDir, 'blobs'), 'ffffffffffffffff');
  }

  /**
   * Waits until the invariants hold (the sweep at start runs beside the first requests), and fails
   * with the last violations if they still do not after `timeoutMs`.
   */
  async invariantsHold(timeoutMs = 20_000): Promise<InvariantReport> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const report = await checkInvariants(this.databaseUrl, this.store());
      if (!report.violations.length) return report;
      if (Date.now() > deadline) {
        throw new Error(
          `invariants broken:\n${report.violations.join('\n')}\n${this.running?.output() ?? ''}`,
        );
      }
      await delay(250);
    }
  }

  /** Stops the server and removes its database, Redis keys and files. */
  async remove(): Promise<void> {
    if (this.running) await this.kill();
    await this.cleanup();
  }

  private current(): RunningMain {
    if (!this.running) throw new Error('the server is not running');
    return this.running;
  }

  private ended(): void {
    this.earlierLogs.push(...parseLogLines(this.running?.stdout() ?? ''));
    this.running = null;
  }
}

function parseLogLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
