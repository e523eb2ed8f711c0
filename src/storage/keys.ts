import { randomUUID } from 'node:crypto';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** An owner id (a ProcessLease's): 16 lower-case hex digits. */
const OWNER = /^[0-9a-f]{16}$/;
/**
 * Exactly the keys a store makes (and the ownerless `tmp/<uuid>` and `blobs/<xx>/<uuid>` of earlier
 * releases), so no other name (`..`, absolute, a stray file) can be used.
 */
const KEY = new RegExp(`^(?:tmp|blobs/[0-9a-f]{2})/(?:([0-9a-f]{16})-)?${UUID}$`);

/** Whether `key` is one a store could have made. */
export const isStorageKey = (key: string): boolean => KEY.test(key);

/** Throws for any key a store could not have made, before it reaches a path or a request. */
export function checkedKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`Not a storage key: ${key}`);
  return key;
}

/** The owner a key names; null for a key of a release that named none. */
export function ownerOfKey(key: string): string | null {
  return KEY.exec(key)?.[1] ?? null;
}

function checkedOwner(owner: string): string {
  if (!OWNER.test(owner)) throw new Error(`Not an owner id: ${owner}`);
  return owner;
}

/**
 * `tmp/<owner>-<uuid>`: an upload in progress, or one no row has taken yet. `owner` is the writing
 * process's (its ProcessLease): it lets a sweep tell a dead process's leftovers from a live one's work.
 */
export const newTemporaryKey = (owner: string): string => `tmp/${checkedOwner(owner)}-${randomUUID()}`;

/**
 * `blobs/<xx>/<owner>-<uuid>`: kept bytes (`xx`, the id's first two digits, spreads them over 256
 * folders). Every object has a key of its own, never reused, so removing one blob's bytes can never
 * touch another's, and a copy kept in memory is never stale. The owner tells a sweep whether bytes no
 * row points at may still be waiting for their row to commit.
 */
export function newPermanentKey(owner: string): string {
  const id = randomUUID();
  return `blobs/${id.slice(0, 2)}/${checkedOwner(owner)}-${id}`;
}
