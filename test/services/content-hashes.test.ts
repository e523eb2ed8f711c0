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
