import path from 'node:path';
import { s3Settings, type Config, type StorageKind } from '../config';
import type { Logger } from '../logger';
import type { BlobStore } from './blob-store';
import { LocalBlobStore } from './local.storage';
import { S3BlobStore, type DownloadLabels } from './s3.storage';
import { HealthReportingBlobStore } from './storage-health';

/** A URL the client may fetch the object from itself, labelled as given; see S3_PRESIGN. */
export type DirectDownload = (key: string, labels: DownloadLabels) => Promise<string>;

/**
 * The BlobStore of that kind as the settings describe it, not yet initialised. `owner` (the writing
 * process's lease) is named in the keys of the objects it makes.
 */
export function blobStoreOf(kind: StorageKind, config: Config, owner: string): BlobStore {
  switch (kind) {
    case 'local':
      return new LocalBlobStore(path.resolve(config.DATA_DIR, 'blobs'), owner);
    case 's3':
      return new S3BlobStore(s3Settings(config), owner);
  }
}

export interface Storage {
  /** The store STORAGE names, initialised, its write failures logged and reported to /healthz. */
  store: HealthReportingBlobStore;
  /** With S3_PRESIGN, short-lived presigned GETs of the S3 store; else null: we serve every byte. */
  directDownload: DirectDownload | null;
}

export async function createStorage(config: Config, logger: Logger, owner: string): Promise<Storage> {
  const inner = blobStoreOf(config.STORAGE, config, owner);
  const store = new HealthReportingBlobStore(inner, logger);
  await store.init();
  const directDownload =
    config.S3_PRESIGN && inner instanceof S3BlobStore
      ? (key: string, labels: DownloadLabels) =>
          inner.presignedDownload(key, labels, config.S3_PRESIGN_SECONDS)
      : null;
  return { store, directDownload };
}
