import type { Readable, Writable } from 'node:stream';

/** An inclusive byte range, as in an HTTP `Range` header. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The object is not, or no longer, in the store: a delete won a race against a read. */
export class MissingObjectError extends Error {
  constructor(key: string) {
    super(`No stored object ${key}`);
    this.name = 'MissingObjectError';
  }
}

/** Error codes of a store that has no room left, rather than one that fails otherwise. */
const OUT_OF_ROOM = new Set(['ENOSPC', 'EDQUOT']);

/**
 * The store failed to keep bytes (a full disk, a read-only or failing one, an object store that
 * refuses or does not answer): the server's condition, never the client's. `cause` says what.
 */
export class StorageFailure extends Error {
  constructor(
    readonly operation: string,
    override readonly cause: Error,
  ) {
    super(`Storage failed to ${operation}: ${cause.message}`);
    this.name = 'StorageFailure';
  }

  /** Whether the store is out of room, as opposed to failing for another reason. */
  get full(): boolean {
    return OUT_OF_ROOM.has((this.cause as NodeJS.ErrnoException).code ?? '');
  }
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
  /** Where the objects are (a folder, or an endpoint and bucket), for messages and records. */
  readonly location: string;
  init(): Promise<void>;
  destroy(): Promise<void>;
  /**
   * Streams `source` into a new temporary object, durable once the promise resolves. A failure of
   * the store's own (not of `source`) is a StorageFailure.
   */
  writeTemporary(source: Readable): Promise<StoredObject>;
  /**
   * Streams `source` into the object `key` (one a store made, never user text), whole or not at all,
   * durable once the promise resolves; an object already there is replaced. For copying between stores.
   */
  put(key: string, source: Readable): Promise<StoredObject>;
  /** Turns a temporary object into a permanent one under a new key, durably; StorageFailure if not. */
  promote(temporaryKey: string): Promise<string>;
  /**
   * Writes the object's bytes, or one range of them, into `destination` and ends it; resolves once it
   * has finished. Throws MissingObjectError, before writing anything, when there is no such object.
   */
  writeTo(key: string, destination: Writable, range?: ByteRange): Promise<void>;
  stat(key: string): Promise<StoredObject | null>;
  /** Removes an object; removing one that is already gone is not an error. */
  delete(key: string): Promise<void>;
  /** Objects under `prefix` (`tmp/` or `blobs/`), for the sweeper. */
  list(prefix: 'tmp/' | 'blobs/'): AsyncIterable<StoredObject>;
  /**
   * Gives up the writes that left something not yet an object (an S3 multipart upload) for which
   * `abandoned` says so, given the write's key and when it was last touched (asked only if needed);
   * the count given up. For the sweeper.
   */
  abortUnfinishedWrites(abandoned: AbandonedWrite): Promise<number>;
}

/** Whether a write (an object, or one not yet finished) will never be needed; see BlobService. */
export type AbandonedWrite = (key: string, lastTouched: () => Promise<Date>) => Promise<boolean>;
