import { rm } from 'node:fs/promises';
import { Client } from 'pg';
import { testEnvironment } from './environment';

export default async function globalTeardown(): Promise<void> {
  const admin = new Client({ connectionString: testEnvironment.adminDatabaseUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${testEnvironment.templateDatabase} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  const suite = globalThis.picvaultSuite;
  await suite?.stopEmbedded?.();
  if (suite?.embeddedDir) await rm(suite.embeddedDir, { recursive: true, force: true });
  await suite?.stopCeph?.();
}
