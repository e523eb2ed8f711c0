import path from 'node:path';
import { s3Settings, type Config, type StorageKind } from '../config';
import type { Logger } from '../logger';
import type { BlobStore } from './blob-store';
import { LocalBlobStore } from './local.storage';
import type { DownloadLabels } from './s3.storage';
import { HealthReportingBlobStore } from './storage-health';

/** A URL the client may fetch the object from itself, labelled as given; see S3_PRESIGN. */
export type DirectDownload = (key: string, labels: DownloadLabels) => Promise<string>;

interface OpenedStore {
  store: BlobStore;
  directDownload: DirectDownload | null;
}

/**
 * The BlobStore of that kind as the settings describe it, not yet initialised, and its presigned
 * downloads when S3_PRESIGN asks for them. `owner` (the writing process's lease) is named in the keys
 * of the objects it makes. The S3 client is loaded only for S3: it costs each process about 20 MB.
 */
async function openStore(kind: StorageKind, config: Config, owner: string): Promise<OpenedStore> {
  switch (kind) {
    case 'local':
      return {
        store: new LocalBlobStore(path.resolve(config.DATA_DIR, 'blobs'), owner),
        directDownload: null,
      };
    case 's3': {
      const { S3BlobStore } = await import('./s3.storage.js');
      const store = new S3BlobStore(s3Settings(config), owner);
      const seconds = config.S3_PRESIGN_SECONDS;
      const directDownload: DirectDownload | null = config.S3_PRESIGN
        ? (key, labels) => store.presignedDownload(key, labels, seconds)
        : null;
      return { store, directDownload };
    }
  }
}

/** The BlobStore of that kind, not yet initialised (see `openStore`). */
export async function blobStoreOf(kind: StorageKind, config: Config, owner: string): Promise<BlobStore> {
  return (await openStore(kind, config, owner)).store;
}

export interface Storage {
  /** The store STORAGE names, initialised, its write failures logged and reported to /healthz. */
  store: HealthReportingBlobStore;
  /** With S3_PRESIGN, short-lived presigned GETs of the S3 store; else null: we serve every byte. */
  directDownload: DirectDownload | null;
}

export async function createStorage(config: Config, logger: Logger, owner: string): Promise<Storage> {
  const opened = await openStore(config.STORAGE, config, owner);
  const store = new HealthReportingBlobStore(opened.store, logger);
  await store.init();
  return { store, directDownload: opened.directDownload };
}
