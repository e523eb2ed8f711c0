import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ChunkReader } from '../../src/storage/chunk-reader';

const CHUNK = 4096;
const CHUNKS = 20;
const FAST_MS = 0.5;
const SLOW_MS = 5;

/** A clock under which each read takes the next of `durations` milliseconds. */
function scriptedClock(durations: number[]): () => number {
  let time = 0;
  let started = false;
  let read = 0;
  return () => {
    if (started) time += durations[read++];
    started = !started;
    return time;
  };
}

describe('ChunkReader', () => {
  let folder: string;
  let content: Buffer;
  let file: FileHandle;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'picvault-chunk-reader-'));
    content = randomBytes(CHUNK * CHUNKS);
    await writeFile(path.join(folder, 'content'), content);
    file = await open(path.join(folder, 'content'));
  });

  afterAll(async () => {
    await file.close();
    await rm(folder, { recursive: true, force: true });
  });

  /** Reads the whole file chunk by chunk; where each read ran, as P (pool) and T (this thread). */
  async function readAll(reader: ChunkReader, chunks = CHUNKS): Promise<{ bytes: Buffer; where: string }> {
    const parts: Buffer[] = [];
    let where = '';
    for (let index = 0; index < chunks; index += 1) {
      const before = reader.counts.thread;
      const buffer = Buffer.alloc(CHUNK);
      const read = await reader.read(buffer, CHUNK, index * CHUNK);
      parts.push(buffer.subarray(0, read));
      where += reader.counts.thread > before ? 'T' : 'P';
    }
    return { bytes: Buffer.concat(parts), where };
  }

  it('reads the same bytes in the pool and on this thread', async () => {
    const { bytes, where } = await readAll(new ChunkReader(file, { slowReadMs: Number.POSITIVE_INFINITY }));
    expect(where).toBe(`PP${'T'.repeat(CHUNKS - 2)}`);
    expect(bytes.equals(content)).toBe(true);
  });

  it('stays in the pool while reads are slow', async () => {
    const now = scriptedClock(Array<number>(CHUNKS).fill(SLOW_MS));
    const { bytes, where } = await readAll(new ChunkReader(file, { now }));
    expect(where).toBe('P'.repeat(CHUNKS));
    expect(bytes.equals(content)).toBe(true);
  });

  it('needs fast pool reads in a row: a slow one starts the run again', async () => {
    const now = scriptedClock([FAST_MS, SLOW_MS, FAST_MS, FAST_MS, FAST_MS]);
    expect((await readAll(new ChunkReader(file, { now }), 5)).where).toBe('PPPPT');
  });

  it('goes back to the pool after a slow read here, and needs twice as long a run each time', async () => {
    const fast = (count: number) => Array<number>(count).fill(FAST_MS);
    const now = scriptedClock([...fast(2), SLOW_MS, ...fast(4), SLOW_MS, ...fast(8), FAST_MS, FAST_MS]);
    expect((await readAll(new ChunkReader(file, { now }), 18)).where).toBe(
      `PPT${'P'.repeat(4)}T${'P'.repeat(8)}TT`,
    );
  });

  it('rejects when the file cannot be read any more, in the pool or here', async () => {
    const closed = await open(path.join(folder, 'content'));
    const promoted = new ChunkReader(closed, { slowReadMs: Number.POSITIVE_INFINITY });
    await readAll(promoted, 2);
    await closed.close();
    await expect(promoted.read(Buffer.alloc(CHUNK), CHUNK, 0)).rejects.toThrow();
    await expect(new ChunkReader(closed).read(Buffer.alloc(CHUNK), CHUNK, 0)).rejects.toThrow();
  });
});
