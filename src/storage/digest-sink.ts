import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';

/** A Writable that hashes and counts what passes into it: to read a stored object back against its blob. */
export function digestSink(): { sink: Writable; result: () => { sha256: string; size: number } } {
  const hash = createHash('sha256');
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done();
    },
  });
  return { sink, result: () => ({ sha256: hash.digest('hex'), size }) };
}
