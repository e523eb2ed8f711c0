import { mkdtemp, rm } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import os from 'node:os';
import path from 'node:path';
import type { StorageKind } from '../../src/config';
import type { AbandonedWrite, BlobStore } from '../../src/storage/blob-store';
import { LocalBlobStore } from '../../src/storage/local.storage';
import { S3BlobStore, type S3StoreLimits } from '../../src/storage/s3.storage';
import { createTestBucket, removeTestBucket, s3TestSettings, unfinishedUploads } from './s3';

/** The owner id the test stores write as: a process of no lease, so nobody's live work. */
export const TEST_OWNER = '00c0ffee00c0ffee';

/** Gives up writes untouched since `cutoff`, whoever made them: the sweeper's age rule alone. */
export const untouchedSince =
  (cutoff: Date): AbandonedWrite =>
  async (_key, lastTouched) =>
    (await lastTouched()) < cutoff;

export interface TestStore<Store extends BlobStore = BlobStore> {
  store: Store;
  /** Multipart uploads left in the store (none ever on local disk). */
  unfinished(): Promise<string[]>;
  /** Removes the store with everything in it. */
  remove(): Promise<void>;
}

/** An initialised, empty store of its own on local disk, in a temporary folder. */
export async function localTestStore(): Promise<TestStore<LocalBlobStore> & { root: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'picvault-store-'));
  const store = new LocalBlobStore(root, TEST_OWNER);
  await store.init();
  return {
    store,
    root,
    unfinished: async () => [],
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** An initialised, empty store of its own on the suite's S3, in a new bucket. */
export async function s3TestStore(
  limits?: S3StoreLimits,
): Promise<TestStore<S3BlobStore> & { bucket: string; client: S3Client }> {
  const { bucket, client } = await createTestBucket();
  const store = new S3BlobStore(s3TestSettings(bucket), TEST_OWNER, limits);
  await store.init();
  return {
    store,
    bucket,
    client,
    unfinished: () => unfinishedUploads(client, bucket),
    remove: async () => {
      await store.destroy();
      await removeTestBucket(client, bucket);
    },
  };
}

export const testStore = (kind: StorageKind): Promise<TestStore> =>
  kind === 'local' ? localTestStore() : s3TestStore();
