import type { EntityManager } from 'typeorm';
import type { StorageKind } from '../config';

export class StorageMismatchError extends Error {}

/** The store that holds every blob's bytes, as the database records it. */
export async function recordedStorageKind(manager: EntityManager): Promise<StorageKind> {
  const [row] = await manager.query<{ kind: StorageKind }[]>(`SELECT kind FROM storage_backend`);
  return row.kind;
}

/**
 * Checks, at start, that STORAGE names the store that holds the blobs: a server pointed at the other
 * one would answer 404 for every file. A database with no blobs yet takes the configured store.
 */
export async function claimStorageKind(manager: EntityManager, configured: StorageKind): Promise<void> {
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
