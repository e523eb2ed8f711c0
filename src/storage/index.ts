import path from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { LocalBlobStore } from './local.storage';
import { HealthReportingBlobStore } from './storage-health';

/**
 * The BlobStore that STORAGE names, initialised, its write failures logged and reported to /healthz;
 * `owner` (the process's lease) is named in the keys of the temporary objects it writes.
 */
export async function createBlobStore(
  config: Config,
  logger: Logger,
  owner: string,
): Promise<HealthReportingBlobStore> {
  const local = new LocalBlobStore(path.resolve(config.DATA_DIR, 'blobs'), owner);
  const store = new HealthReportingBlobStore(local, logger);
  await store.init();
  return store;
}
