import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { AppError } from '../app-error';
import { ErrorCode } from '../schema/error-code';
import type { BlobStore } from '../storage/blob-store';
import { OffThreadHashes } from './content-hashes';
import { sniffContent, SNIFF_BYTES, type SniffedContent } from './content-sniffer';

export interface IngestExpectations {
  /** Refuse, while streaming, anything larger. */
  maxBytes: number;
  /** What the client declared; bytes that disagree are CONTENT_MISMATCH and nothing is kept. */
  size?: number;
  md5?: string;
}

export interface IngestedContent extends SniffedContent {
  temporaryKey: string;
  size: number;
  md5: string;
  sha256: string;
}

const tooLarge = (limit: number) =>
  new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `The upload is larger than ${limit} bytes`);

/** Counts and hashes the bytes as they pass, and keeps the first few for sniffing. */
class Fingerprint extends Transform {
  readonly hashes = new OffThreadHashes();
  size = 0;
  private readonly head: Buffer[] = [];
  private headBytes = 0;

  constructor(private readonly limit: number) {
    super({ highWaterMark: 1 << 20 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      done(tooLarge(this.limit));
      return;
    }
    const keepGoing = this.hashes.update(chunk);
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
  return new AppError(ErrorCode.BAD_USER_INPUT, 'The upload was interrupted or malformed');
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
  const limit = Math.min(expected.maxBytes, expected.size ?? Number.POSITIVE_INFINITY);
  const fingerprint = new Fingerprint(limit);
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
    const failure = uploadSourceFailure(error);
    if (
      failure.code === ErrorCode.PAYLOAD_TOO_LARGE &&
      expected.size !== undefined &&
      expected.size < expected.maxBytes
    ) {
      throw new AppError(
        ErrorCode.CONTENT_MISMATCH,
        `The upload is larger than its declared size ${expected.size}`,
      );
    }
    throw failure;
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
    ...fingerprint.sniff(),
  };
}
