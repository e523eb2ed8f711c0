import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { openDatabase } from '../../src/db/data-source';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { createLogger } from '../../src/logger';
import { startCeph } from './ceph';
import { withDatabase } from './database';
import { databaseUrl, testEnvironment } from './environment';

export interface SuiteServices {
  stopEmbedded?: () => Promise<void>;
  embeddedDir?: string;
  stopCeph?: () => Promise<void>;
}

declare global {
  var picvaultSuite: SuiteServices | undefined;
}

export async function assertRedisReachable(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `The tests need a real Redis at ${url} (set REDIS_URL to use another): ${(error as Error).message}`,
    );
  } finally {
    redis.disconnect();
  }
}

/**
 * Finds Postgres (TEST_DATABASE_URL, or an embedded server started here) and migrates a template
 * database that each test file clones; the settings for `testEnvironment`.
 */
export async function prepareDatabases(suite: SuiteServices): Promise<void> {
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    // postgres runs as its own system user when we are root: its folders must be traversable.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'picvault-test-pg-'));
    await chmod(dir, 0o755);
    const embedded = await startEmbeddedPostgres(dir, 0, createLogger('warn'));
    suite.stopEmbedded = () => embedded.stop();
    suite.embeddedDir = dir;
    adminUrl = embedded.adminUrl;
  }

  const template = `picvault_template_${randomBytes(4).toString('hex')}`;
  await withDatabase(adminUrl, (admin) => admin.query(`CREATE DATABASE ${template}`));
  const migrated = await openDatabase(databaseUrl(adminUrl, template), 1);
  await migrated.destroy();

  process.env.PICVAULT_TEST_ADMIN_URL = adminUrl;
  process.env.PICVAULT_TEST_TEMPLATE = template;
}

/**
 * Runs once per `jest` run: checks Redis, finds S3 (the S3_* settings, or a Ceph RGW started here,
 * except in CI, which must provide them) and prepares the databases.
 */
export default async function globalSetup(): Promise<void> {
  await assertRedisReachable(testEnvironment.redisUrl);
  const suite: SuiteServices = {};
  globalThis.picvaultSuite = suite;

  // In CI, missing settings fail the S3 tests by name rather than hide behind a Ceph started here.
  if (!process.env.S3_ENDPOINT && !process.env.CI) {
    const ceph = await startCeph();
    suite.stopCeph = () => ceph.stop();
    Object.assign(process.env, ceph.env);
  }
  await prepareDatabases(suite);
}
