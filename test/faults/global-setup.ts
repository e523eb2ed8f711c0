import { assertRedisReachable, prepareDatabases, type SuiteServices } from '../helpers/global-setup';
import { testEnvironment } from '../helpers/environment';

/** The fault suite's servers keep their bytes on local disk: only Redis and Postgres are needed. */
export default async function globalSetup(): Promise<void> {
  await assertRedisReachable(testEnvironment.redisUrl);
  const suite: SuiteServices = {};
  globalThis.picvaultSuite = suite;
  await prepareDatabases(suite);
}
