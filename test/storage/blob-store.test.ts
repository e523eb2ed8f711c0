import { randomBytes } from 'node:crypto';
import { readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import {
  MissingObjectError,
  type BlobStore,
  type ByteRange,
  type StoredObject,
} from '../../src/storage/blob-store';
import { newPermanentKey } from '../../src/storage/keys';
import { STORAGE_KINDS } from '../helpers/s3';
import { localTestStore, TEST_OWNER, testStore, untouchedSince, type TestStore } from '../helpers/stores';

const bytes = Buffer.from('0123456789abcdefghij');

async function contents(store: BlobStore, key: string, range?: ByteRange): Promise<Buffer> {
  const sink = new PassThrough();
  const collected = buffer(sink);
  await store.writeTo(key, sink, range);
  return collected;
}

async function collect(objects: AsyncIterable<StoredObject>): Promise<StoredObject[]> {
  const found: StoredObject[] = [];
  for await (const object of objects) found.push(object);
  return found;
}

const keep = async (store: BlobStore, content: Buffer) =>
  store.promote((await store.writeTemporary(Readable.from([content]))).key);

describe.each(STORAGE_KINDS)('BlobStore on %s', (kind) => {
  let tested: TestStore;
  let store: BlobStore;
  beforeEach(async () => {
    tested = await testStore(kind);
    store = tested.store;
  });
  afterEach(() => tested.remove());

  it('streams into a temporary object under a relative tmp/ key', async () => {
    const written = await store.writeTemporary(Readable.from([bytes.subarray(0, 7), bytes.subarray(7)]));
    expect(written.key).toMatch(/^tmp\/00c0ffee00c0ffee-[0-9a-f-]{36}$/);
    expect(written.size).toBe(bytes.length);
    expect(Math.abs(written.modifiedAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await contents(store, written.key)).toEqual(bytes);
  });

  it('keeps nothing, not even an unfinished upload, when the source fails mid-stream', async () => {
    async function* failing() {
      yield randomBytes(12 * 1024 * 1024);
      throw new Error('connection reset');
    }
    await expect(store.writeTemporary(Readable.from(failing()))).rejects.toThrow('connection reset');
    expect(await collect(store.list('tmp/'))).toEqual([]);
    expect(await tested.unfinished()).toEqual([]);
  });

  it('promotes a temporary object to a permanent blobs/ key and the temporary one is gone', async () => {
    const temporary = await store.writeTemporary(Readable.from([bytes]));
    const key = await store.promote(temporary.key);
    expect(key).toMatch(/^blobs\/[0-9a-f]{2}\/00c0ffee00c0ffee-[0-9a-f-]{36}$/);
    // The folder is named after the first two digits of the object's own id, which follows its owner's.
    expect(key.split('/')[1]).toBe(key.split('/')[2].slice(17, 19));
    expect(await store.stat(temporary.key)).toBeNull();
    expect(await contents(store, key)).toEqual(bytes);
  });

  it('puts an object under a given key, whole, replacing what was there', async () => {
    const key = newPermanentKey(TEST_OWNER);
    expect(await store.put(key, Readable.from([Buffer.from('first')]))).toMatchObject({ key, size: 5 });
    await store.put(key, Readable.from([bytes]));
    expect(await contents(store, key)).toEqual(bytes);
    expect(await collect(store.list('tmp/'))).toEqual([]);
  });

  it('reads inclusive byte ranges', async () => {
    const key = await keep(store, bytes);
    expect((await contents(store, key, { start: 0, end: 0 })).toString()).toBe('0');
    expect((await contents(store, key, { start: 3, end: 9 })).toString()).toBe('3456789');
    expect((await contents(store, key, { start: 15, end: 19 })).toString()).toBe('fghij');
  });

  it('writes objects and ranges of several MiB whole, through a destination that holds back', async () => {
    const large = randomBytes(5 * 1024 * 1024 + 3);
    const key = await keep(store, large);
    expect((await contents(store, key)).equals(large)).toBe(true);
    const range = { start: 1024 * 1024 - 1, end: 4 * 1024 * 1024 + 1 };
    expect((await contents(store, key, range)).equals(large.subarray(range.start, range.end + 1))).toBe(true);

    const received: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        received.push(chunk);
        setTimeout(done, 1);
      },
    });
    await store.writeTo(key, slow);
    expect(Buffer.concat(received).equals(large)).toBe(true);
  });

  it('writes nothing but the end for an empty object', async () => {
    const key = await keep(store, Buffer.alloc(0));
    expect(await contents(store, key)).toEqual(Buffer.alloc(0));
  });

  it('stops, and rejects, when the destination is destroyed midway', async () => {
    const key = await keep(store, randomBytes(8 * 1024 * 1024));
    let taken = 0;
    const failing = new Writable({
      write(chunk: Buffer, _encoding, done) {
        taken += chunk.length;
        done(taken > 2 * 1024 * 1024 ? new Error('client went away') : null);
      },
    });
    await expect(store.writeTo(key, failing)).rejects.toThrow('client went away');
    expect(taken).toBeLessThan(8 * 1024 * 1024);
  });

  it('fails on a missing object with MissingObjectError, before anything is written', async () => {
    const sink = new PassThrough();
    await expect(store.writeTo('blobs/00/00000000-0000-0000-0000-000000000000', sink)).rejects.toBeInstanceOf(
      MissingObjectError,
    );
    expect(sink.writableLength + sink.readableLength).toBe(0);
    expect(sink.writableEnded).toBe(false);
  });

  it('stats an object, and answers null for one that does not exist', async () => {
    const written = await store.writeTemporary(Readable.from([bytes]));
    const found = await store.stat(written.key);
    expect(found).toMatchObject({ key: written.key, size: bytes.length });
    expect(found!.modifiedAt.getTime()).toBe(written.modifiedAt.getTime());
    expect(await store.stat('tmp/00000000-0000-0000-0000-000000000000')).toBeNull();
  });

  it('deletes idempotently', async () => {
    const written = await store.writeTemporary(Readable.from([bytes]));
    await store.delete(written.key);
    await store.delete(written.key);
    expect(await store.stat(written.key)).toBeNull();
  });

  it('lists what is under tmp/ and blobs/ separately, with sizes', async () => {
    const temporary = await store.writeTemporary(Readable.from([Buffer.from('abc')]));
    const kept = await keep(store, bytes);
    const summary = (objects: StoredObject[]) => objects.map(({ key, size }) => ({ key, size }));
    expect(summary(await collect(store.list('tmp/')))).toEqual([{ key: temporary.key, size: 3 }]);
    expect(summary(await collect(store.list('blobs/')))).toEqual([{ key: kept, size: bytes.length }]);
  });

  it('gives up no write that is younger than the cutoff', async () => {
    expect(await store.abortUnfinishedWrites(untouchedSince(new Date(Date.now() - 60_000)))).toBe(0);
  });

  it.each([
    '/etc/passwd',
    '../secret',
    'tmp/../../secret',
    'blobs/../tmp/x',
    'other/abc',
    'tmp/abc.png',
    'tmp/',
    '',
  ])('refuses the key %j, which it could never have made', async (key) => {
    await expect(store.writeTo(key, new PassThrough())).rejects.toThrow('Not a storage key');
    await expect(store.stat(key)).rejects.toThrow('Not a storage key');
    await expect(store.delete(key)).rejects.toThrow('Not a storage key');
    await expect(store.put(key, Readable.from([bytes]))).rejects.toThrow('Not a storage key');
  });
});

describe('LocalBlobStore', () => {
  let tested: Awaited<ReturnType<typeof localTestStore>>;
  beforeEach(async () => {
    tested = await localTestStore();
  });
  afterEach(() => tested.remove());

  it('creates tmp/ and blobs/ on init, and init is repeatable', async () => {
    await tested.store.init();
    expect((await readdir(tested.root)).sort()).toEqual(['blobs', 'tmp']);
  });

  it('keeps temporary files private to the server', async () => {
    const written = await tested.store.writeTemporary(Readable.from([bytes]));
    expect((await stat(path.join(tested.root, written.key))).mode & 0o777).toBe(0o600);
  });

  it('lists each object with its file modification time', async () => {
    const kept = await keep(tested.store, bytes);
    const old = new Date('2020-01-01T00:00:00Z');
    await utimes(path.join(tested.root, kept), old, old);
    expect((await collect(tested.store.list('blobs/'))).map((object) => object.modifiedAt)).toEqual([old]);
  });

  it('lists nothing, without failing, when a prefix folder is missing', async () => {
    await rm(path.join(tested.root, 'blobs'), { recursive: true });
    expect(await collect(tested.store.list('blobs/'))).toEqual([]);
  });

  it('never lists a file it could not have made (a stray name under tmp/)', async () => {
    await writeFile(path.join(tested.root, 'tmp', 'notes.txt'), 'x');
    await expect(collect(tested.store.list('tmp/'))).resolves.toEqual([]);
  });
});
