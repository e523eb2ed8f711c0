import { randomUUID } from 'node:crypto';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** Exactly the keys a store makes, so no other name (`..`, absolute, a stray file) can be used. */
const KEY = new RegExp(`^(tmp/${UUID}|blobs/[0-9a-f]{2}/${UUID})$`);

/** Whether `key` is one a store could have made. */
export const isStorageKey = (key: string): boolean => KEY.test(key);

/** Throws for any key a store could not have made, before it reaches a path or a request. */
export function checkedKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`Not a storage key: ${key}`);
  return key;
}

/** `tmp/<uuid>`: an upload in progress, or one no row has taken yet. */
export const newTemporaryKey = (): string => `tmp/${randomUUID()}`;

/**
 * `blobs/<xx>/<uuid>`: kept bytes. Every object has a key of its own, never reused, so removing one
 * blob's bytes can never touch another's, and a copy kept in memory is never stale.
 */
export function newPermanentKey(): string {
  const id = randomUUID();
  return `blobs/${id.slice(0, 2)}/${id}`;
}
