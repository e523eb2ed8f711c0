import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { S3Settings } from '../../src/config';
import { createS3Client } from '../../src/storage/s3.storage';

/** The stores the storage suite and the byte-handling integration tests run against, each. */
export const STORAGE_KINDS = ['local', 's3'] as const;

/**
 * The suite's S3 (Ceph RGW in CI), as global-setup found or started it. Missing settings fail the
 * S3 tests, loudly: they are never skipped.
 */
export function s3Environment(): Record<string, string> {
  const names = ['S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'S3_REGION', 'S3_FORCE_PATH_STYLE'];
  const missing = names.filter((name) => !process.env[name]);
  if (missing.length) {
    throw new Error(
      `The S3 tests need ${missing.join(', ')}: run .ci/run, or eval "$(../shared/scripts/ceph-s3-start.sh DIR)" first`,
    );
  }
  return Object.fromEntries(names.map((name) => [name, process.env[name]!]));
}

/** Settings for a client of the suite's S3 on `bucket`. */
export function s3TestSettings(bucket: string): S3Settings {
  const env = s3Environment();
  return {
    endpoint: env.S3_ENDPOINT,
    bucket,
    region: env.S3_REGION,
    accessKeyId: env.S3_ACCESS_KEY,
    secretAccessKey: env.S3_SECRET_KEY,
    forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true',
    partBytes: 5 * 1024 ** 2,
    queueSize: 4,
  };
}

/** A new, empty bucket of a test's (or the bench's) own, and a client for looking into it. */
export async function createTestBucket(label = 'test'): Promise<{ bucket: string; client: S3Client }> {
  const bucket = `picvault-${label}-${randomBytes(6).toString('hex')}`;
  const client = createS3Client(s3TestSettings(bucket));
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return { bucket, client };
}

/** Multipart uploads begun in `bucket` and neither completed nor aborted. */
export async function unfinishedUploads(client: S3Client, bucket: string): Promise<string[]> {
  const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (page.Uploads ?? []).map((upload) => upload.Key!);
}

/** Empties `bucket` (objects and unfinished uploads), removes it and closes the client. */
export async function removeTestBucket(client: S3Client, bucket: string): Promise<void> {
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const { Key, UploadId } of uploads.Uploads ?? []) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }));
  }
  let ContinuationToken: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken }));
    for (const { Key } of page.Contents ?? []) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
    }
    ContinuationToken = page.NextContinuationToken;
  } while (ContinuationToken);
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  client.destroy();
}

/**
 * The apps the byte-handling integration tests run on: local disk with and without Redis (the core
 * flows' two ways), and S3 with Redis, as a deployment of several instances runs.
 */
export const STORAGE_AND_REDIS = [
  ['on local disk, with Redis', { storage: 'local', redis: true }],
  ['on local disk, without Redis', { storage: 'local', redis: false }],
  ['on S3, with Redis', { storage: 's3', redis: true }],
] as const;
