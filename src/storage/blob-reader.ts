import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { BlobStore, ByteRange } from './blob-store';

export interface BlobReaderLimits {
  /** Objects up to this size are kept in memory once read. */
  objectBytes: number;
  /** All of them together; past it, the least recently served go. */
  totalBytes: number;
}

const DEFAULT_LIMITS: BlobReaderLimits = { objectBytes: 128 * 1024, totalBytes: 32 * 1024 ** 2 };

/**
 * Reads stored objects for downloads, keeping small ones in memory: a thumbnail-sized picture is
 * served far more often than it changes, and opening, reading and closing its file cost more than
 * the rest of the request. A key names one content for ever (deleted objects' keys are never
 * reused), so a kept copy is never stale; whether a request may see it is decided before, by the
 * database.
 */
export class BlobReader {
  /** In the order they were last served: a Map iterates oldest first. */
  private readonly kept = new Map<string, Buffer>();
  private keptBytes = 0;

  constructor(
    private readonly store: BlobStore,
    private readonly limits: BlobReaderLimits = DEFAULT_LIMITS,
  ) {}

  /** Like BlobStore.writeTo, for an object of `size` bytes. */
  async writeTo(key: string, size: number, destination: Writable, range?: ByteRange): Promise<void> {
    if (size > this.limits.objectBytes) return this.store.writeTo(key, destination, range);
    const bytes = this.kept.get(key) ?? (await this.readWhole(key, size));
    this.keep(key, bytes);
    destination.end(range ? bytes.subarray(range.start, range.end + 1) : bytes);
    await finished(destination);
  }

  private async readWhole(key: string, size: number): Promise<Buffer> {
    const bytes = Buffer.allocUnsafe(size);
    let filled = 0;
    const collector = new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (filled + chunk.length > size)
          return done(new Error(`Stored object ${key} is over ${size} bytes`));
        filled += chunk.copy(bytes, filled);
        done();
      },
    });
    await this.store.writeTo(key, collector);
    if (filled !== size) throw new Error(`Stored object ${key} has ${filled} bytes, not ${size}`);
    return bytes;
  }

  private keep(key: string, bytes: Buffer): void {
    if (this.kept.delete(key)) this.keptBytes -= bytes.length;
    this.kept.set(key, bytes);
    this.keptBytes += bytes.length;
    for (const [oldKey, old] of this.kept) {
      if (this.keptBytes <= this.limits.totalBytes) break;
      this.kept.delete(oldKey);
      this.keptBytes -= old.length;
    }
  }
}
