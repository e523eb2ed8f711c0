import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { BlobReader } from '../../src/storage/blob-reader';
import { MissingObjectError, type BlobStore, type ByteRange } from '../../src/storage/blob-store';
import { STORAGE_KINDS } from '../helpers/s3';
import { testStore, type TestStore } from '../helpers/stores';

let tested: TestStore;
let store: BlobStore;

async function stored(bytes: Buffer): Promise<string> {
  const temporary = await store.writeTemporary(Readable.from([bytes]));
  return store.promote(temporary.key);
}

async function read(reader: BlobReader, key: string, size: number, range?: ByteRange): Promise<Buffer> {
  const sink = new PassThrough();
  const collected = buffer(sink);
  await reader.writeTo(key, size, sink, range);
  return collected;
}

/** Removes the object behind the reader's back: only a copy in memory can still answer. */
const removeFile = (key: string) => store.delete(key);

describe.each(STORAGE_KINDS)('BlobReader on %s', (kind) => {
  beforeEach(async () => {
    tested = await testStore(kind);
    store = tested.store;
  });
  afterEach(() => tested.remove());

  it('keeps a small object in memory once read, whole or by range', async () => {
    const bytes = randomBytes(3000);
    const key = await stored(bytes);
    const reader = new BlobReader(store, { objectBytes: 4096, totalBytes: 1 << 20 });
    expect(await read(reader, key, bytes.length)).toEqual(bytes);
    await removeFile(key);
    expect(await read(reader, key, bytes.length)).toEqual(bytes);
    expect(await read(reader, key, bytes.length, { start: 10, end: 19 })).toEqual(bytes.subarray(10, 20));
  });

  it('streams a larger object from the store every time', async () => {
    const bytes = randomBytes(10_000);
    const key = await stored(bytes);
    const reader = new BlobReader(store, { objectBytes: 4096, totalBytes: 1 << 20 });
    expect(await read(reader, key, bytes.length, { start: 5000, end: 9999 })).toEqual(bytes.subarray(5000));
    await removeFile(key);
    await expect(read(reader, key, bytes.length)).rejects.toBeInstanceOf(MissingObjectError);
  });

  it('lets the least recently served objects go past its total, and keeps the rest', async () => {
    const reader = new BlobReader(store, { objectBytes: 1000, totalBytes: 2500 });
    const objects = await Promise.all(
      [0, 1, 2].map(async () => {
        const bytes = randomBytes(1000);
        return { bytes, key: await stored(bytes) };
      }),
    );
    for (const { key, bytes } of objects) await read(reader, key, bytes.length);
    for (const { key } of objects) await removeFile(key);
    // The first was served longest ago: it went when the third came in.
    await expect(read(reader, objects[0].key, 1000)).rejects.toBeInstanceOf(MissingObjectError);
    expect(await read(reader, objects[1].key, 1000)).toEqual(objects[1].bytes);
    expect(await read(reader, objects[2].key, 1000)).toEqual(objects[2].bytes);
  });

  it('refuses an object whose stored size is not the one the database holds, keeping nothing', async () => {
    const bytes = randomBytes(500);
    const key = await stored(bytes);
    const reader = new BlobReader(store, { objectBytes: 4096, totalBytes: 1 << 20 });
    await expect(read(reader, key, 400)).rejects.toThrow(/over 400 bytes/);
    await expect(read(reader, key, 600)).rejects.toThrow(/has 500 bytes, not 600/);
    expect(await read(reader, key, 500)).toEqual(bytes);
  });
});
