import type { DataSource, EntityManager } from 'typeorm';
import type { StorageKind } from '../config';
import type { Logger } from '../logger';
import { databaseUrlOf } from './data-source';
import { HeldLock } from './held-lock';

/**
 * Held shared by every running server for its lifetime, and taken exclusively by `storage:migrate`
 * to switch stores: so no server can still be writing to the old store when the switch commits, and
 * one that starts meanwhile waits for it and then sees the new store.
 */
export const STORAGE_LOCK_ID = 7261002;

export class StorageMismatchError extends Error {}

/** The store that holds every blob's bytes, as the database records it. */
export async function recordedStorageKind(manager: EntityManager): Promise<StorageKind> {
  const [row] = await manager.query<{ kind: StorageKind }[]>(`SELECT kind FROM storage_backend`);
  return row.kind;
}

/**
 * Checks that STORAGE names the store that holds the blobs: a server pointed at the other one would
 * answer 404 for every file. A database with no blobs yet takes the configured store.
 */
async function checkStorageKind(manager: EntityManager, configured: StorageKind): Promise<void> {
  await manager.transaction(async (transaction) => {
    const [row] = await transaction.query<{ kind: StorageKind; blobs: boolean }[]>(
      `SELECT kind, EXISTS (SELECT 1 FROM blobs) AS blobs FROM storage_backend FOR UPDATE`,
    );
    if (row.kind === configured) return;
    if (row.blobs) {
      throw new StorageMismatchError(
        `STORAGE=${configured}, but the stored files are in ${row.kind}: copy them with ` +
          `\`npm run storage:migrate -- --from ${row.kind} --to ${configured}\`, or start with STORAGE=${row.kind}`,
      );
    }
    await transaction.query(`UPDATE storage_backend SET kind = $1, changed_at = now()`, [configured]);
  });
}

/**
 * At start: takes the storage lock (shared) on a connection of its own, held until `release`, and
 * checks that STORAGE is where the files are.
 */
export async function claimStorage(
  dataSource: DataSource,
  configured: StorageKind,
  logger: Logger,
): Promise<HeldLock> {
  const lock = await HeldLock.take({
    url: databaseUrlOf(dataSource),
    key: String(STORAGE_LOCK_ID),
    shared: true,
    purpose: 'storage lock',
    logger,
  });
  try {
    await checkStorageKind(dataSource.manager, configured);
  } catch (error) {
    await lock.release();
    throw error;
  }
  return lock;
}
