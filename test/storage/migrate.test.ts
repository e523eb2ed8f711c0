import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { S3Client } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import { findFreePort } from '../../src/db/embedded-postgres';
import type { BlobStore } from '../../src/storage/blob-store';
import { LocalBlobStore } from '../../src/storage/local.storage';
import { S3BlobStore } from '../../src/storage/s3.storage';
import { signUp } from '../helpers/accounts';
import { delay, startMain } from '../helpers/main-process';
import {
  createTestBucket,
  removeTestBucket,
  s3Environment,
  s3TestSettings,
  unfinishedUploads,
} from '../helpers/s3';
import { TEST_OWNER } from '../helpers/stores';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { uploadFile } from '../helpers/uploads';

jest.setTimeout(180_000);

const FILES = 40;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function keysIn(store: BlobStore, prefix: 'tmp/' | 'blobs/'): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of store.list(prefix)) keys.push(object.key);
  return keys.sort();
}

async function bytesOf(store: BlobStore, key: string): Promise<Buffer> {
  const sink = new PassThrough();
  const read = buffer(sink);
  await store.writeTo(key, sink);
  return read;
}

describe('npm run storage:migrate (dist/storage/migrate.js)', () => {
  let app: TestApp;
  let bucket: string;
  let client: S3Client;
  let local: LocalBlobStore;
  let s3: S3BlobStore;
  let blobs: { storage_key: string; sha256: string }[];
  /** The test's own connection, which outlives the app. */
  let observer: Client;

  beforeAll(async () => {
    ({ bucket, client } = await createTestBucket());
    app = await startTestApp();
    const alice = await signUp(app);
    for (let n = 0; n < FILES; n += 1) {
      // One file over an S3 part, so that one copy is a multipart upload.
      const bytes = randomBytes(n === 0 ? 6 * 1024 * 1024 : 50_000);
      expect((await uploadFile(app, alice.token, bytes, { name: `f${n}.bin` })).errors).toBeUndefined();
    }
    blobs = await app.dataSource.query(`SELECT storage_key, sha256 FROM blobs ORDER BY storage_key`);
    expect(blobs).toHaveLength(FILES);
    local = new LocalBlobStore(path.join(app.dataDir, 'blobs'), TEST_OWNER);
    s3 = new S3BlobStore(s3TestSettings(bucket), TEST_OWNER);
    observer = new Client({ connectionString: app.config.DATABASE_URL! });
    await observer.connect();
  });

  afterAll(async () => {
    await observer.end();
    await s3.destroy();
    await app.close();
    await removeTestBucket(client, bucket);
  });

  /** The migration as an operator runs it, with the app's settings and the S3 bucket. */
  function migrate(...args: string[]) {
    return startMain(
      {
        DATABASE_URL: app.config.DATABASE_URL!,
        DATA_DIR: app.dataDir,
        ...s3Environment(),
        S3_BUCKET: bucket,
        S3_PART_BYTES: String(5 * 1024 * 1024),
      },
      ['dist/storage/migrate.js', ...args],
    );
  }

  const copiesRecorded = async () =>
    (await observer.query<{ n: number }>(`SELECT count(*)::int AS n FROM storage_copies`)).rows[0].n;
  const recordedStore = async () =>
    (await observer.query<{ kind: string }>(`SELECT kind FROM storage_backend`)).rows[0].kind;

  it('refuses bad arguments, naming them', async () => {
    for (const args of [
      [],
      ['--from', 'local'],
      ['--from', 'local', '--to', 'local'],
      ['--from', 'ftp', '--to', 's3'],
    ]) {
      const run = migrate(...args);
      expect((await run.exited).code).toBe(1);
      expect(run.stderr()).toMatch(/--from|--to/);
    }
  });

  it('copies while a server runs, goes on after a kill -9 without copying twice, and switches only once the server is gone', async () => {
    // Cut short once a few copies are recorded.
    const first = migrate('--from', 'local', '--to', 's3');
    while ((await copiesRecorded()) < 5) {
      if (first.child.exitCode !== null) throw new Error(`it ended before it was cut:\n${first.output()}`);
      await delay(10);
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const copiedBeforeKill = await copiesRecorded();
    expect(copiedBeforeKill).toBeLessThan(FILES);
    expect(await recordedStore()).toBe('local');

    // The server still runs: everything left is copied, and nothing switched.
    const second = migrate('--from', 'local', '--to', 's3');
    expect(await second.exited).toMatchObject({ code: 1 });
    expect(second.stderr()).toMatch(/running Picvault server uses the database: stop every instance/);
    expect(second.output()).toMatch(new RegExp(`"copied":${FILES - copiedBeforeKill},`));
    expect(await recordedStore()).toBe('local');

    await app.stop();
    const third = migrate('--from', 'local', '--to', 's3');
    expect(await third.exited).toMatchObject({ code: 0 });
    expect(third.output()).toMatch(/"copied":0,/);
    expect(third.output()).toMatch(/switched/);
    expect(await recordedStore()).toBe('s3');
    expect(await copiesRecorded()).toBe(0);

    // Every blob once, intact, and nothing else: no temporary object, no unfinished upload.
    expect(await keysIn(s3, 'blobs/')).toEqual(blobs.map((blob) => blob.storage_key));
    expect(await keysIn(s3, 'tmp/')).toEqual([]);
    expect(await unfinishedUploads(client, bucket)).toEqual([]);
    for (const blob of blobs) expect(sha256(await bytesOf(s3, blob.storage_key))).toBe(blob.sha256);

    const again = migrate('--from', 'local', '--to', 's3');
    expect(await again.exited).toMatchObject({ code: 0 });
    expect(again.output()).toMatch(/already in that store/);
  });

  it('moves back to local disk, restoring bytes the disk had lost', async () => {
    const lost = blobs[3].storage_key;
    await local.delete(lost);
    const back = migrate('--from', 's3', '--to', 'local');
    expect(await back.exited).toMatchObject({ code: 0 });
    expect(await recordedStore()).toBe('local');
    expect(sha256(await bytesOf(local, lost))).toBe(blobs[3].sha256);
    expect(await keysIn(local, 'blobs/')).toEqual(blobs.map((blob) => blob.storage_key));
  });

  it('keeps a server with the other STORAGE from starting on these files, naming the migration', async () => {
    const server = startMain({
      DATABASE_URL: app.config.DATABASE_URL!,
      DATA_DIR: app.dataDir,
      PORT: String(await findFreePort()),
      ...s3Environment(),
      STORAGE: 's3',
      S3_BUCKET: bucket,
      SECRET: randomBytes(32).toString('hex'),
    });
    expect(await server.exited).toMatchObject({ code: 1 });
    expect(server.output()).toMatch(
      /STORAGE=s3, but the stored files are in local.*storage:migrate -- --from local --to s3/,
    );
  });
});
