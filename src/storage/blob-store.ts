import type { Readable } from 'node:stream';

/** An inclusive byte range, as in an HTTP `Range` header. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface StoredObject {
  key: string;
  size: number;
  modifiedAt: Date;
}

/**
 * Where bytes live. Keys are relative (`tmp/…`, `blobs/…`) and never derived from user input; the
 * store knows nothing of users or files.
 */
export interface BlobStore {
  init(): Promise<void>;
  destroy(): Promise<void>;
  /** Streams `source` into a new temporary object, durable once the promise resolves. */
  writeTemporary(source: Readable): Promise<StoredObject>;
  /** Turns a temporary object into a permanent one under a new key, durably. */
  promote(temporaryKey: string): Promise<string>;
  read(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<StoredObject | null>;
  /** Removes an object; removing one that is already gone is not an error. */
  delete(key: string): Promise<void>;
  /** Objects under `prefix` (`tmp/` or `blobs/`), for the sweeper. */
  list(prefix: 'tmp/' | 'blobs/'): AsyncIterable<StoredObject>;
}
