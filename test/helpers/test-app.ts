import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import type { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createApp, type App } from '../../src/app';
import { connectRedis } from '../../src/cache/redis';
import { loadConfig, type Config, type StorageKind } from '../../src/config';
import type { RequestContext } from '../../src/context';
import { openDatabase } from '../../src/db/data-source';
import { findFreePort } from '../../src/db/embedded-postgres';
import { createHttpServer } from '../../src/http/server';
import { createLogger } from '../../src/logger';
import { blobStoreOf } from '../../src/storage';
import type { BlobStore } from '../../src/storage/blob-store';
import { withDatabase } from './database';
import { databaseUrl, testEnvironment } from './environment';
import { createTestBucket, removeTestBucket, s3Environment } from './s3';

export interface TestAppOptions {
  /** Run with the suite's Redis (the default) or with the in-process fallbacks. */
  redis?: boolean;
  /** Extra settings, as they would appear in the environment. */
  env?: Record<string, string>;
  /** A Redis other than the suite's (a private one a test stops and starts). */
  redisUrl?: string;
  /** Where the app's log lines go, parsed; with LOG_LEVEL in `env` to choose which. */
  logs?: Record<string, unknown>[];
  /** Where the bytes go: local disk (the default), or the suite's S3 in a bucket of the app's own. */
  storage?: StorageKind;
}

/** A running server the HTTP helpers can talk to: a TestApp, or a `node dist/main.js` of a test's own. */
export interface Reachable {
  url: string;
}

export interface TestApp extends Reachable {
  config: Config;
  dataSource: DataSource;
  redis: Redis | null;
  dataDir: string;
  /** The app's store as a second client of it sees it: what is kept, for assertions. */
  store: BlobStore;
  /** With STORAGE=s3: the app's bucket, and a client of the suite's S3 to look into it. */
  s3: { bucket: string; client: S3Client } | null;
  /** Resolves once the app's background removals of unreferenced bytes have finished. */
  settled(): Promise<void>;
  /** Runs the app's periodic upkeep now (storage sweep, expired sessions). */
  maintain(): Promise<void>;
  /** Stops the server, the app and its pool, and keeps its database, Redis keys, files and bucket. */
  stop(): Promise<void>;
  /** Stops the server (unless stopped) and removes its database, Redis keys, files and bucket. */
  close(): Promise<void>;
}

/** Runs `work` on a connection to the suite's Postgres server as its administrator. */
export function withAdmin<T>(work: (admin: Client) => Promise<T>): Promise<T> {
  return withDatabase(testEnvironment.adminDatabaseUrl, work);
}

/** Deletes every Redis key under `prefix`, of the suite's Redis unless another is named. */
export async function deleteKeys(prefix: string, redisUrl = testEnvironment.redisUrl): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
}

/**
 * Starts the real app on a free port, against a fresh database cloned from the migrated template,
 * real Redis under a key prefix of its own, and a temporary data directory.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const id = randomBytes(5).toString('hex');
  const database = `picvault_test_${id}`;
  await withAdmin((admin) =>
    admin.query(`CREATE DATABASE ${database} TEMPLATE ${testEnvironment.templateDatabase}`),
  );
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'picvault-test-data-'));
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const prefix = `picvault-test:${id}:`;
  const useRedis = options.redis ?? true;
  const redisUrl = options.redisUrl ?? testEnvironment.redisUrl;
  const s3 = options.storage === 's3' ? await createTestBucket() : null;
  const secret = randomBytes(32).toString('hex');
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    PUBLIC_URL: url,
    // Suites sign up and in many accounts from one address; the tests of these limits set their own.
    LOGIN_IP_LIMIT: '1000000',
    REGISTER_IP_LIMIT: '1000000',
    COUNT_LIMIT_PER_MINUTE: '1000000',
    ...(s3 && {
      ...s3Environment(),
      STORAGE: 's3',
      S3_BUCKET: s3.bucket,
      S3_PART_BYTES: String(5 * 1024 ** 2),
    }),
    ...options.env,
    SECRET: secret,
    PORT: String(port),
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl(testEnvironment.adminDatabaseUrl, database),
    REDIS_URL: useRedis ? redisUrl : undefined,
    REDIS_PREFIX: prefix,
  });
  const logs = options.logs;
  const logger = createLogger(
    config.LOG_LEVEL,
    logs && { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const dataSource = await openDatabase(config.DATABASE_URL as string, 5);
  const redis = useRedis ? await connectRedis(redisUrl, prefix, logger) : null;
  const app: App = await createApp({
    config,
    logger,
    dataSource,
    redis,
    secret,
  });
  // An owner of no process: whatever the tests write through it the app's sweeps take for abandoned.
  const store = await blobStoreOf(config.STORAGE, config, 'ffffffffffffffff');
  const server = createHttpServer(app.express, { idleTimeoutSeconds: config.IDLE_TIMEOUT_SECONDS });
  await listen(server, port);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await app.stop();
    await dataSource.destroy();
    redis?.disconnect();
  };

  return {
    url,
    config,
    dataSource,
    redis,
    dataDir,
    store,
    s3,
    settled: () => app.settled(),
    maintain: () => app.maintain(),
    stop,
    async close() {
      await stop();
      if (redis) await deleteKeys(prefix, redisUrl);
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
      await rm(dataDir, { recursive: true, force: true });
      await store.destroy();
      if (s3) await removeTestBucket(s3.client, s3.bucket);
    },
  };
}

/** A context outside any request or transaction, for calling the app's services directly. */
export function backgroundContext(app: TestApp, requestId: string): RequestContext {
  return {
    requestId,
    caller: null,
    uploader: null,
    refusedToken: false,
    ip: null,
    baseUrl: app.url,
    userAgent: null,
    log: createLogger('silent'),
    manager: app.dataSource.manager,
    transaction: null,
  };
}
