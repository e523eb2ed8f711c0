import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type http from 'node:http';
import { Client } from 'pg';
import type { Cleanups } from './cleanups';
import { multipartWithBytes, postStream, requestJson, type JsonResponse } from './http-client';
import { freePort, startNodeServer, type ChildServer } from './processes';

export const ADMIN_DATABASE_URL =
  process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
const SERVER_SCRIPT = path.resolve(__dirname, '../../dist/main.js');

export function databaseUrl(database: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database, dropped (with any connection still open) when the run ends. */
export async function createDatabase(cleanups: Cleanups): Promise<string> {
  const name = `picvault_bench_${randomBytes(5).toString('hex')}`;
  await withClient(ADMIN_DATABASE_URL, (admin) => admin.query(`CREATE DATABASE ${name}`));
  cleanups.add(`drop database ${name}`, () =>
    withClient(ADMIN_DATABASE_URL, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  );
  return databaseUrl(name);
}

/** A Redis key prefix of the run's own, whose keys are deleted when the run ends. */
export function redisPrefix(cleanups: Cleanups): string {
  const prefix = `picvault-bench:${randomBytes(5).toString('hex')}:`;
  cleanups.add(`delete redis keys ${prefix}*`, async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  });
  return prefix;
}

/** A temporary directory, removed with everything in it when the run ends. */
export async function temporaryDirectory(cleanups: Cleanups, label: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `picvault-bench-${label}-`));
  cleanups.add(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface PicvaultOptions {
  databaseUrl: string;
  /** A key prefix to run with Redis, or null to run with the in-process fallbacks. */
  redisPrefix: string | null;
  dataDir: string;
  /** Settings of this run's own, over the ones below (`SM_UPLOADS_PER_MINUTE`, …). */
  env?: Record<string, string>;
}

/** `node dist/main.js` as a production user would run it, on a free port of 127.0.0.1. */
export async function startPicvault(
  name: string,
  options: PicvaultOptions,
  cleanups: Cleanups,
): Promise<ChildServer> {
  const port = await freePort();
  // BENCH_CPU_PROF_DIR: a .cpuprofile of each server run, written when it stops, to see where time goes.
  const profiling = process.env.BENCH_CPU_PROF_DIR;
  return startNodeServer(
    name,
    [...(profiling ? ['--cpu-prof', `--cpu-prof-dir=${profiling}`] : []), SERVER_SCRIPT],
    [],
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: options.databaseUrl,
      DATA_DIR: options.dataDir,
      LOG_LEVEL: 'warn',
      // One client makes every request here: its per-client limits would measure themselves.
      COUNT_LIMIT_PER_MINUTE: '100000000',
      LOGIN_IP_LIMIT: '100000000',
      REGISTER_IP_LIMIT: '100000000',
      ...(options.redisPrefix ? { REDIS_URL, REDIS_PREFIX: options.redisPrefix } : {}),
      ...options.env,
    },
    port,
    '/healthz',
    cleanups,
  );
}

export interface GraphQLAnswer<Data> {
  data?: Data | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Runs one GraphQL operation and returns its data, throwing on any error. */
export async function graphql<Data>(
  server: ChildServer,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<Data> {
  const answer = await requestJson(`${server.url}/graphql`, {
    body: { query, variables },
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const body = answer.body as GraphQLAnswer<Data>;
  if (answer.status !== 200 || body.errors?.length || !body.data) {
    throw new Error(`GraphQL failed (${answer.status}): ${JSON.stringify(answer.body).slice(0, 500)}`);
  }
  return body.data;
}

/** Registers an account through GraphQL and signs it in; returns its bearer token. */
export async function signUp(server: ChildServer, userName: string): Promise<string> {
  const password = `bench-${randomBytes(8).toString('hex')}`;
  await graphql(
    server,
    `
      mutation ($input: RegisterInput!) {
        register(input: $input) {
          user {
            id
          }
        }
      }
    `,
    { input: { userName, nickName: userName, password } },
  );
  const { login } = await graphql<{ login: { token: string } }>(
    server,
    `
      mutation ($input: LoginInput!) {
        login(input: $input) {
          token
        }
      }
    `,
    { input: { userName, password } },
  );
  return login.token;
}

/** Whether a route exists yet: anything but Express's 404 for an unknown path. */
export async function routeExists(server: ChildServer, routePath: string): Promise<boolean> {
  const probe = await requestJson(`${server.url}${routePath}`, { body: {} });
  return probe.status !== 404;
}

/** A file to send in memory: its name, its bytes and the type it is declared as (PNG unless said). */
export interface FileInMemory {
  name: string;
  content: Buffer;
  contentType?: string;
}

const UPLOAD_TIMEOUT_MS = 30_000;

/**
 * One GraphQL multipart request (operations, map, then the file as part `0`) with the session's bearer
 * token; the payload of `operation.field` when the request succeeded, with the raw answer for reports.
 */
export async function graphqlUpload<Payload>(
  server: ChildServer,
  session: string,
  operation: { field: string; query: string },
  input: Record<string, unknown>,
  file: FileInMemory,
  agent?: http.Agent,
): Promise<{ answer: JsonResponse; payload: Payload | undefined }> {
  const { field, query } = operation;
  const operations = JSON.stringify({ query, variables: { input: { ...input, file: null } } });
  const body = multipartWithBytes(
    { operations, map: '{"0":["variables.input.file"]}' },
    { field: '0', filename: file.name, contentType: file.contentType ?? 'image/png', content: file.content },
  );
  const answer = await postStream(
    `${server.url}/graphql`,
    {
      'apollo-require-preflight': 'true',
      authorization: `Bearer ${session}`,
      'content-type': body.contentType,
    },
    body.parts,
    body.length,
    UPLOAD_TIMEOUT_MS,
    agent,
  );
  const answered = answer.body as { data?: Record<string, Payload | undefined> | null; errors?: unknown };
  const payload = answer.status === 200 && !answered.errors ? answered.data?.[field] : undefined;
  return { answer, payload };
}
