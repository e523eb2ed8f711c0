import path from 'node:path';
import type { Config } from '../config';
import type { BlobStore } from './blob-store';
import { LocalBlobStore } from './local.storage';

/** The BlobStore that STORAGE names, initialised. */
export async function createBlobStore(config: Config): Promise<BlobStore> {
  const store = new LocalBlobStore(path.resolve(config.DATA_DIR, 'blobs'));
  await store.init();
  return store;
}
