import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { CreateMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { S3BlobStore } from '../../src/storage/s3.storage';
import { newTemporaryKey } from '../../src/storage/keys';
import { s3TestSettings } from '../helpers/s3';
import { s3TestStore, TEST_OWNER, untouchedSince, type TestStore } from '../helpers/stores';

const MiB = 1024 ** 2;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('S3BlobStore', () => {
  let tested: TestStore<S3BlobStore>;
  afterEach(() => tested.remove());

  it('uploads in parts of S3_PART_BYTES and copies past the single-copy limit part by part', async () => {
    tested = await s3TestStore({ singleCopyBytes: 6 * MiB, copyPartBytes: 5 * MiB });
    const large = randomBytes(13 * MiB + 5);
    const temporary = await tested.store.writeTemporary(Readable.from([large]));
    const key = await tested.store.promote(temporary.key);
    const sink = new PassThrough();
    const read = buffer(sink);
    await tested.store.writeTo(key, sink);
    expect(sha256(await read)).toBe(sha256(large));
    expect(await tested.store.stat(temporary.key)).toBeNull();
    expect(await tested.unfinished()).toEqual([]);
  });

  it('aborts unfinished multipart uploads untouched since the cutoff, and only those', async () => {
    const s3 = await s3TestStore();
    tested = s3;
    const Key = newTemporaryKey(TEST_OWNER);
    const { UploadId } = await s3.client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key }));
    await s3.client.send(
      new UploadPartCommand({ Bucket: s3.bucket, Key, UploadId, PartNumber: 1, Body: randomBytes(5 * MiB) }),
    );
    // Its newest part is seconds old: a cutoff an hour ago leaves it, one a minute ahead does not.
    expect(await s3.store.abortUnfinishedWrites(untouchedSince(new Date(Date.now() - 3600_000)))).toBe(0);
    expect(await s3.unfinished()).toEqual([Key]);
    expect(await s3.store.abortUnfinishedWrites(untouchedSince(new Date(Date.now() + 60_000)))).toBe(1);
    expect(await s3.unfinished()).toEqual([]);
  });

  it('refuses to start on a bucket that does not exist, naming S3_BUCKET', async () => {
    tested = await s3TestStore();
    const missing = new S3BlobStore(s3TestSettings('picvault-test-no-such-bucket'), TEST_OWNER);
    await expect(missing.init()).rejects.toThrow(/^S3_BUCKET: .*no such bucket/);
    await missing.destroy();
  });

  it('presigns a short-lived GET that answers with the given type, disposition and cache policy', async () => {
    tested = await s3TestStore();
    const key = await tested.store.promote((await tested.store.writeTemporary(Readable.from(['%PDF']))).key);
    const labels = {
      contentType: 'application/octet-stream',
      contentDisposition: 'attachment; filename="a.pdf"',
      cacheControl: 'private, max-age=0',
    };
    const url = await tested.store.presignedDownload(key, labels, 60);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(labels.contentType);
    expect(response.headers.get('content-disposition')).toBe(labels.contentDisposition);
    expect(response.headers.get('cache-control')).toBe(labels.cacheControl);
    expect(await response.text()).toBe('%PDF');
    const tampered = new URL(url);
    tampered.searchParams.set('response-content-type', 'text/html');
    expect((await fetch(tampered)).status).toBe(403);
  });
});
