import { rm } from 'node:fs/promises';
import { withDatabase } from './database';
import { testEnvironment } from './environment';

export default async function globalTeardown(): Promise<void> {
  await withDatabase(testEnvironment.adminDatabaseUrl, (admin) =>
    admin.query(`DROP DATABASE IF EXISTS ${testEnvironment.templateDatabase} WITH (FORCE)`),
  );
  const suite = globalThis.picvaultSuite;
  await suite?.stopEmbedded?.();
  if (suite?.embeddedDir) await rm(suite.embeddedDir, { recursive: true, force: true });
  await suite?.stopCeph?.();
}
