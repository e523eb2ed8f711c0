import { createHash, randomBytes } from 'node:crypto';
import { OffThreadHashes } from '../../src/services/content-hashes';

const digestsOf = (input: Buffer) => ({
  md5: createHash('md5').update(input).digest('hex'),
  sha256: createHash('sha256').update(input).digest('hex'),
});

async function hashInChunks(input: Buffer, chunkBytes: number) {
  const hashes = new OffThreadHashes();
  for (let offset = 0; offset < input.length; offset += chunkBytes) {
    if (!hashes.update(input.subarray(offset, offset + chunkBytes))) await hashes.drained();
  }
  return hashes.digest();
}

describe('OffThreadHashes', () => {
  it('gives the same md5 and sha256 as this thread, for several hashes at once', async () => {
    const inputs = [randomBytes(0), randomBytes(1), randomBytes(1 << 20), randomBytes(3 * 1024 * 1024 + 17)];
    const digests = await Promise.all(inputs.map((input) => hashInChunks(input, 65536)));
    expect(digests).toEqual(inputs.map(digestsOf));
  });

  it('takes chunks larger than a batch, and chunks that straddle batches', async () => {
    const input = randomBytes(5 * 1024 * 1024 + 3);
    expect(await hashInChunks(input, 3 * 1024 * 1024 + 1)).toEqual(digestsOf(input));
    expect(await hashInChunks(input, 99_991)).toEqual(digestsOf(input));
  });

  it('keeps its own copy: a chunk reused by the caller after update does not change the digest', async () => {
    const hashes = new OffThreadHashes();
    const chunk = Buffer.alloc(1000, 1);
    hashes.update(chunk);
    chunk.fill(2);
    hashes.update(chunk);
    expect(await hashes.digest()).toEqual(
      digestsOf(Buffer.concat([Buffer.alloc(1000, 1), Buffer.alloc(1000, 2)])),
    );
  });

  it('gives the same digests for empty input, however it is ended', async () => {
    const empty = digestsOf(Buffer.alloc(0));
    expect(await new OffThreadHashes().digest()).toEqual(empty);
    const hashes = new OffThreadHashes();
    hashes.update(Buffer.alloc(0));
    expect(await hashes.digest()).toEqual(empty);
  });

  it('takes odd chunk sizes that end and straddle batches anywhere', async () => {
    const batch = 1024 * 1024;
    const input = randomBytes(4 * batch + 12345);
    for (const chunkBytes of [1, 7, 4093, 65537, batch - 1, batch, batch + 1, 2 * batch + 3]) {
      const bytes = chunkBytes === 1 ? input.subarray(0, 200_000) : input;
      expect(await hashInChunks(bytes, chunkBytes)).toEqual(digestsOf(bytes));
    }
  });

  it('keeps many concurrent hashes apart, more of them than there are threads', async () => {
    const inputs = Array.from({ length: 40 }, (_, index) => randomBytes(index * 97_003 + (index % 3)));
    const digests = await Promise.all(inputs.map((input, index) => hashInChunks(input, 1000 + index * 4099)));
    expect(digests).toEqual(inputs.map(digestsOf));
  });

  it('forgets an aborted hash, batches still in flight, and others beside it stay right', async () => {
    const input = randomBytes(6 * 1024 * 1024 + 5);
    const running = hashInChunks(input, 65536);
    const aborted = new OffThreadHashes();
    for (let sent = 0; sent < 3; sent += 1) aborted.update(randomBytes(1024 * 1024));
    aborted.abort();
    expect(await running).toEqual(digestsOf(input));
    expect(await hashInChunks(input, 333_333)).toEqual(digestsOf(input));
  });

  it('refills a batch only once both threads are done with it, though sha256 hands it back first', async () => {
    // Whole batches as fast as backpressure lets them go: a batch refilled while md5 still reads
    // it would change md5 alone.
    const input = randomBytes(48 * 1024 * 1024);
    expect(await hashInChunks(input, 1024 * 1024)).toEqual(digestsOf(input));
  });

  it('asks the caller to wait once too many bytes are in flight, and lets it go on when they are hashed', async () => {
    const hashes = new OffThreadHashes();
    const chunk = randomBytes(1024 * 1024);
    let accepted = 0;
    while (hashes.update(chunk)) accepted += 1;
    expect(accepted).toBeLessThan(8);
    await hashes.drained();
    expect(hashes.update(chunk)).toBe(true);
    hashes.abort();
  });
});

describe('OffThreadHashes memory', () => {
  it('reuses its shared batches: a thousand hashes one after another hold no more memory than a few', async () => {
    const input = randomBytes(3 * 1024 * 1024);
    await hashInChunks(input, 65536);
    const before = process.memoryUsage().arrayBuffers;
    for (let round = 0; round < 1000; round += 1)
      await hashInChunks(input.subarray(0, 2 * 1024 * 1024 + round), 65536);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });
});
