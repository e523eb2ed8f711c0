import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { MissingObjectError, type ByteRange, type StoredObject } from '../../src/storage/blob-store';
import { LocalBlobStore } from '../../src/storage/local.storage';

let root: string;
let store: LocalBlobStore;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'picvault-store-'));
  store = new LocalBlobStore(root, '00c0ffee00c0ffee');
  await store.init();
});
afterEach(() => rm(root, { recursive: true, force: true }));

const bytes = Buffer.from('0123456789abcdefghij');

async function contents(key: string, range?: ByteRange): Promise<Buffer> {
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

describe('LocalBlobStore', () => {
  it('creates tmp/ and blobs/ on init, and init is repeatable', async () => {
    await store.init();
    expect((await readdir(root)).sort()).toEqual(['blobs', 'tmp']);
  });

  it('streams into a temporary object under a relative tmp/ key, private to the server', async () => {
    const written = await store.writeTemporary(Readable.from([bytes.subarray(0, 7), bytes.subarray(7)]));
    expect(written.key).toMatch(/^tmp\/00c0ffee00c0ffee-[0-9a-f-]{36}$/);
    expect(written.size).toBe(bytes.length);
    expect(Math.abs(written.modifiedAt.getTime() - Date.now())).toBeLessThan(60_000);
    const file = path.join(root, written.key);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await contents(written.key)).toEqual(bytes);
  });

  it('removes the temporary object when the source fails mid-stream', async () => {
    async function* failing() {
      yield bytes;
      throw new Error('connection reset');
    }
    await expect(store.writeTemporary(Readable.from(failing()))).rejects.toThrow('connection reset');
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
  });

  it('promotes a temporary object to a permanent blobs/ key and the temporary one is gone', async () => {
    const temporary = await store.writeTemporary(Readable.from([bytes]));
    const key = await store.promote(temporary.key);
    expect(key).toMatch(/^blobs\/[0-9a-f]{2}\/00c0ffee00c0ffee-[0-9a-f-]{36}$/);
    // The folder is named after the first two digits of the object's own id, which follows its owner's.
    expect(key.split('/')[1]).toBe(key.split('/')[2].slice(17, 19));
    expect(await store.stat(temporary.key)).toBeNull();
    expect(await contents(key)).toEqual(bytes);
  });

  it('reads inclusive byte ranges', async () => {
    const key = await store.promote((await store.writeTemporary(Readable.from([bytes]))).key);
    expect((await contents(key, { start: 0, end: 0 })).toString()).toBe('0');
    expect((await contents(key, { start: 3, end: 9 })).toString()).toBe('3456789');
    expect((await contents(key, { start: 15, end: 19 })).toString()).toBe('fghij');
  });

  it('writes objects and ranges of several MiB whole, through a destination that holds back', async () => {
    const large = randomBytes(5 * 1024 * 1024 + 3);
    const key = await store.promote((await store.writeTemporary(Readable.from([large]))).key);
    expect((await contents(key)).equals(large)).toBe(true);
    const range = { start: 1024 * 1024 - 1, end: 4 * 1024 * 1024 + 1 };
    expect((await contents(key, range)).equals(large.subarray(range.start, range.end + 1))).toBe(true);

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
    const key = await store.promote((await store.writeTemporary(Readable.from([]))).key);
    expect(await contents(key)).toEqual(Buffer.alloc(0));
  });

  it('stops, and rejects, when the destination is destroyed midway', async () => {
    const key = await store.promote(
      (await store.writeTemporary(Readable.from([randomBytes(8 * 1024 * 1024)]))).key,
    );
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

  it('lists what is under tmp/ and blobs/ separately, with sizes and modification times', async () => {
    const temporary = await store.writeTemporary(Readable.from([Buffer.from('abc')]));
    const kept = await store.promote((await store.writeTemporary(Readable.from([bytes]))).key);
    const old = new Date('2020-01-01T00:00:00Z');
    await utimes(path.join(root, kept), old, old);

    const summary = (objects: StoredObject[]) =>
      objects.map(({ key, size, modifiedAt }) => ({ key, size, modifiedAt: modifiedAt.getTime() }));
    expect(summary(await collect(store.list('tmp/')))).toEqual([
      { key: temporary.key, size: 3, modifiedAt: temporary.modifiedAt.getTime() },
    ]);
    expect(summary(await collect(store.list('blobs/')))).toEqual([
      { key: kept, size: bytes.length, modifiedAt: old.getTime() },
    ]);
  });

  it('lists nothing, without failing, when a prefix folder is missing', async () => {
    await rm(path.join(root, 'blobs'), { recursive: true });
    expect(await collect(store.list('blobs/'))).toEqual([]);
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
  });

  it('never lists a file it could not have made (a stray name under tmp/)', async () => {
    await writeFile(path.join(root, 'tmp', 'notes.txt'), 'x');
    await expect(collect(store.list('tmp/'))).resolves.toEqual([]);
  });
});
