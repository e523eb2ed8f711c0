import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { AppError, BrokenRequestError, storageError } from '../app-error';
import { ErrorCode } from '../schema/error-code';
import { StorageFailure, type BlobStore } from '../storage/blob-store';
import { quotaExceeded } from './quota.service';
import { OffThreadHashes } from './content-hashes';
import { sniffContent, SNIFF_BYTES, type SniffedContent } from './content-sniffer';

export interface IngestExpectations {
  /** Refuse, while streaming, anything larger. */
  maxBytes: number;
  /** What the account may still store; more is QUOTA_EXCEEDED, refused while streaming. */
  remainingQuotaBytes?: number | null;
  /** What the client declared; bytes that disagree are CONTENT_MISMATCH and nothing is kept. */
  size?: number;
  md5?: string;
}

export interface IngestedContent extends SniffedContent {
  temporaryKey: string;
  size: number;
  md5: string;
  sha256: string;
  /** The last few bytes, where image formats end with a marker: a cut-short file has none. */
  tail: Buffer;
}

const TAIL_BYTES = 32;

const tooLarge = (limit: number) =>
  new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `The upload is larger than ${limit} bytes`);

/** The most bytes an upload may carry, and what passing it means. */
interface ByteLimit {
  bytes: number;
  error: () => AppError;
}

/** The tightest of the size limit, the declared size and the account's quota. */
function byteLimitOf(expected: IngestExpectations): ByteLimit {
  const limits: ByteLimit[] = [{ bytes: expected.maxBytes, error: () => tooLarge(expected.maxBytes) }];
  if (expected.size !== undefined) {
    const declared = expected.size;
    limits.push({
      bytes: declared,
      error: () =>
        new AppError(ErrorCode.CONTENT_MISMATCH, `The upload is larger than its declared size ${declared}`),
    });
  }
  if (typeof expected.remainingQuotaBytes === 'number') {
    limits.push({ bytes: expected.remainingQuotaBytes, error: quotaExceeded });
  }
  // Of equal limits the first counts: bytes past a declared size are a mismatch before a quota matter.
  return limits.reduce((tightest, limit) => (limit.bytes < tightest.bytes ? limit : tightest));
}

/** Counts and hashes the bytes as they pass, and keeps the first few for sniffing. */
class Fingerprint extends Transform {
  readonly hashes = new OffThreadHashes();
  size = 0;
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  tail = Buffer.alloc(0);

  constructor(private readonly limit: ByteLimit) {
    super({ highWaterMark: 1 << 20 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit.bytes) {
      done(this.limit.error());
      return;
    }
    const keepGoing = this.hashes.update(chunk);
    this.tail =
      chunk.length >= TAIL_BYTES
        ? Buffer.from(chunk.subarray(-TAIL_BYTES))
        : Buffer.concat([this.tail, chunk]).subarray(-TAIL_BYTES);
    if (this.headBytes < SNIFF_BYTES) {
      this.head.push(chunk.subarray(0, SNIFF_BYTES - this.headBytes));
      this.headBytes += Math.min(chunk.length, SNIFF_BYTES - this.headBytes);
    }
    if (keepGoing) done(null, chunk);
    else void this.hashes.drained().then(() => done(null, chunk));
  }

  sniff(): SniffedContent {
    return sniffContent(Buffer.concat(this.head));
  }
}

/**
 * A failure of the bytes' source as the client's error: a cut connection, a malformed or cut-short
 * multipart body, or the multipart parser's own size limit.
 */
export function uploadSourceFailure(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const status = (error as { status?: number } | null)?.status;
  if (status === 413) return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, 'The upload is too large');
  return new BrokenRequestError('The upload was interrupted or malformed');
}

/**
 * Streams an upload once, through md5 and sha256, into a temporary object. Memory stays flat
 * whatever the size. On any failure the temporary object is gone before this rejects.
 */
export async function ingest(
  store: BlobStore,
  source: Readable,
  expected: IngestExpectations,
): Promise<IngestedContent> {
  // The source may have failed before it reached us, while the caller still checked other things (a
  // body cut short): its error was emitted then, and piping it now would wait forever.
  if (source.errored || source.destroyed) {
    source.resume();
    throw uploadSourceFailure(source.errored ?? new Error('The upload ended before it was read'));
  }
  const fingerprint = new Fingerprint(byteLimitOf(expected));
  source.on('error', (error) => fingerprint.destroy(uploadSourceFailure(error)));
  // Busboy cuts a file at its size limit and emits `limit` instead of an error, and graphql-upload-minimal
  // then unpipes it: the bytes would look complete, or never end. Its limit must be one byte above ours.
  source.once('limit', () => fingerprint.destroy(tooLarge(expected.maxBytes)));
  let stored;
  try {
    stored = await store.writeTemporary(source.pipe(fingerprint));
  } catch (error) {
    fingerprint.hashes.abort();
    // Discard the rest of the file, so that the request carrying it can still be read to its end.
    source.resume();
    // The store failed (a full disk, S3 down: STORAGE_FULL or UNAVAILABLE, the server's condition), or
    // the client's bytes did (cut, malformed, too many: an AppError by now), or something else (a bug).
    if (error instanceof StorageFailure) throw storageError(error);
    if (error instanceof AppError || source.errored || fingerprint.errored) throw uploadSourceFailure(error);
    throw error;
  }
  const { md5, sha256 } = await fingerprint.hashes.digest();
  const mismatch =
    (expected.size !== undefined && expected.size !== stored.size) ||
    (expected.md5 !== undefined && expected.md5.toLowerCase() !== md5);
  if (mismatch) {
    await store.delete(stored.key);
    throw new AppError(ErrorCode.CONTENT_MISMATCH, 'The bytes do not match the declared size or md5');
  }
  return {
    temporaryKey: stored.key,
    size: stored.size,
    md5,
    sha256,
    tail: fingerprint.tail,
    ...fingerprint.sniff(),
  };
}
