import path from 'node:path';
import { s3Settings, type Config, type StorageKind } from '../config';
import type { BlobStore } from './blob-store';
import { LocalBlobStore } from './local.storage';
import { S3BlobStore, type DownloadLabels } from './s3.storage';

/** A URL the client may fetch the object from itself, labelled as given; see S3_PRESIGN. */
export type DirectDownload = (key: string, labels: DownloadLabels) => Promise<string>;

/** The BlobStore of that kind as the settings describe it, not yet initialised. */
export function blobStoreOf(kind: StorageKind, config: Config): BlobStore {
  switch (kind) {
    case 'local':
      return new LocalBlobStore(path.resolve(config.DATA_DIR, 'blobs'));
    case 's3':
      return new S3BlobStore(s3Settings(config));
  }
}

/** The BlobStore that STORAGE names, initialised. */
export async function createBlobStore(config: Config): Promise<BlobStore> {
  const store = blobStoreOf(config.STORAGE, config);
  await store.init();
  return store;
}

/** With S3_PRESIGN, short-lived presigned GETs of the S3 store; else null: we serve every byte. */
export function directDownloads(store: BlobStore, config: Config): DirectDownload | null {
  if (!config.S3_PRESIGN || !(store instanceof S3BlobStore)) return null;
  return (key, labels) => store.presignedDownload(key, labels, config.S3_PRESIGN_SECONDS);
}
