import { createHash, randomBytes } from 'node:crypto';
import { ParallelSha256 } from '../../src/services/parallel-sha256';

describe('ParallelSha256', () => {
  it('gives the same digest as sha256 on this thread, for several hashes at once', async () => {
    const inputs = [randomBytes(0), randomBytes(1), randomBytes(3 * 1024 * 1024 + 17)];
    const digests = await Promise.all(
      inputs.map(async (input) => {
        const hash = new ParallelSha256();
        for (let offset = 0; offset < input.length; offset += 65536) {
          if (!hash.update(input.subarray(offset, offset + 65536))) await hash.drained();
        }
        return hash.digest();
      }),
    );
    expect(digests).toEqual(inputs.map((input) => createHash('sha256').update(input).digest('hex')));
  });

  it('asks the caller to wait once too many bytes are in flight, and lets it go on when they are hashed', async () => {
    const hash = new ParallelSha256();
    const chunk = randomBytes(1024 * 1024);
    let accepted = 0;
    while (hash.update(chunk)) accepted += 1;
    expect(accepted).toBeLessThan(8);
    await hash.drained();
    expect(hash.update(chunk)).toBe(true);
    hash.abort();
  });
});
