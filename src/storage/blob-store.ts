import { randomUUID } from 'node:crypto';
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

/** An owner id (a ProcessLease's): 16 lower-case hex digits. */
const OWNER = /^[0-9a-f]{16}$/;
/** The owner named in a key of `newObjectKey`'s, as `tmp/<owner>-<uuid>` or `blobs/<xx>/<owner>-<uuid>`. */
const OWNED_KEY = /^(?:tmp|blobs\/[0-9a-f]{2})\/([0-9a-f]{16})-[0-9a-f]{8}-[0-9a-f-]{27}$/;

/**
 * A new key for an object of `owner` (the writing process's ProcessLease): a temporary one while it
 * is uploaded, a stored one once kept (`blobs/<xx>/…`, where `xx` spreads them over 256 folders). The
 * owner in the name lets a sweep tell a dead process's leftovers (an upload never finished, bytes
 * kept for a row that never committed) from a live one's work in progress.
 */
export function newObjectKey(kind: 'tmp' | 'blobs', owner: string): string {
  if (!OWNER.test(owner)) throw new Error(`Not an owner id: ${owner}`);
  const id = randomUUID();
  return kind === 'tmp' ? `tmp/${owner}-${id}` : `blobs/${id.slice(0, 2)}/${owner}-${id}`;
}

/** The owner a key names; null for a key written before keys named one. */
export function ownerOfKey(key: string): string | null {
  return OWNED_KEY.exec(key)?.[1] ?? null;
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
  /**
   * Streams `source` into a new temporary object, durable once the promise resolves. A failure of
   * the store's own (not of `source`) is a StorageFailure.
   */
  writeTemporary(source: Readable): Promise<StoredObject>;
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
}
