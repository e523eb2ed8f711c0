import type { RequestContext } from '../context';
import { returningRows } from '../db/returning';
import { afterCommit, afterRollback } from '../db/transaction';
import type { Logger } from '../logger';
import type { BlobStore } from '../storage/blob-store';
import type { IngestedContent } from './ingest';

const TEMPORARY_MAX_AGE_MS = 60 * 60 * 1000;

/**
 * Reference-counted content. Every file holds one reference to its blob; a blob at zero references is
 * deleted in the same transaction and its bytes removed after commit. Each stored object has its own
 * random key, so removing one blob's bytes can never touch another's, however they race.
 */
export class BlobService {
  /** Removals of bytes no row points at any more, still running. */
  private readonly removals = new Set<Promise<void>>();

  constructor(readonly store: BlobStore) {}

  /**
   * Removes a stored object that nothing refers to once the transaction commits, without holding up
   * the answer: unlinking a 1 GiB file takes up to half a second here, and no caller needs it gone.
   * One that fails is logged and left to the sweeper.
   */
  private async removeAfterCommit(context: RequestContext, key: string): Promise<void> {
    await afterCommit(context, async () => {
      const removal = this.store
        .delete(key)
        .catch((error: unknown) => context.log.error({ err: error, key }, 'removing a stored object failed'))
        .finally(() => this.removals.delete(removal));
      this.removals.add(removal);
    });
  }

  /** Resolves once every removal started so far has finished: before shutdown, and in tests. */
  async settled(): Promise<void> {
    while (this.removals.size) await Promise.all(this.removals);
  }

  /**
   * Adds a reference to the blob with this content, storing the ingested bytes only when no such
   * blob exists. The bytes are durable before the row that points at them can commit.
   */
  async addReference(context: RequestContext, content: IngestedContent): Promise<string> {
    const [existing] = await returningRows<{ id: string }>(
      context.manager,
      `UPDATE blobs SET ref_count = ref_count + 1 WHERE sha256 = $1 RETURNING id`,
      [content.sha256],
    );
    if (existing) {
      await this.removeAfterCommit(context, content.temporaryKey);
      return existing.id;
    }
    const storageKey = await this.store.promote(content.temporaryKey);
    // The row pointing at these bytes may never commit (a name conflict, a lost connection): then they
    // go at once rather than wait an hour for the sweeper.
    afterRollback(context, () => this.store.delete(storageKey));
    // A concurrent upload of the same bytes may have inserted first: then count ours as a reference to
    // its blob and drop the copy we just kept.
    const [row] = await context.manager.query<{ id: string; storage_key: string }[]>(
      `INSERT INTO blobs (sha256, md5, size, content_type, width, height, storage_key, ref_count)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 1)
       ON CONFLICT (sha256) DO UPDATE SET ref_count = blobs.ref_count + 1
       RETURNING id, storage_key`,
      [
        content.sha256,
        content.md5,
        content.size,
        content.contentType,
        content.width,
        content.height,
        storageKey,
      ],
    );
    if (row.storage_key !== storageKey) await this.removeAfterCommit(context, storageKey);
    return row.id;
  }

  /**
   * Adds a reference to the one blob with this md5 that `userId` may copy without sending its bytes:
   * one of their own files holds it, or a public share does. Null when there is none, or more than
   * one: then the client must upload.
   */
  async addReferenceByMd5(context: RequestContext, md5: string, userId: string): Promise<string | null> {
    const candidates = await context.manager.query<{ id: string }[]>(
      `SELECT b.id FROM blobs b
        WHERE b.md5 = $1
          AND (EXISTS (SELECT 1 FROM nodes n WHERE n.blob_id = b.id AND n.owner_id = $2)
               OR EXISTS (SELECT 1 FROM shares s JOIN nodes n ON n.id = s.node_id
                           WHERE s.md5 = b.md5 AND n.blob_id = b.id))
        LIMIT 2`,
      [md5.toLowerCase(), userId],
    );
    if (candidates.length !== 1) return null;
    const [added] = await returningRows<{ id: string }>(
      context.manager,
      `UPDATE blobs SET ref_count = ref_count + 1 WHERE id = $1 RETURNING id`,
      [candidates[0].id],
    );
    return added?.id ?? null;
  }

  /** Adds a reference to a blob some node already holds (saving a shared file, copying). */
  async addReferenceById(context: RequestContext, blobId: string): Promise<void> {
    await context.manager.query(`UPDATE blobs SET ref_count = ref_count + 1 WHERE id = $1`, [blobId]);
  }

  /** Drops one reference per entry; blobs left with none are deleted, their bytes after commit. */
  async releaseReferences(context: RequestContext, blobIds: string[]): Promise<void> {
    if (blobIds.length === 0) return;
    const counts = new Map<string, number>();
    for (const id of blobIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    // Two statements, not one: a DELETE cannot see rows updated by a CTE of its own statement, so it
    // would silently skip them. The UPDATE's row locks keep new references out until commit.
    const released = await returningRows<{ id: string; ref_count: number }>(
      context.manager,
      `UPDATE blobs b SET ref_count = b.ref_count - r.n
         FROM unnest($1::uuid[], $2::int[]) AS r(id, n)
        WHERE b.id = r.id
        RETURNING b.id, b.ref_count`,
      [[...counts.keys()], [...counts.values()]],
    );
    const emptied = released.filter((row) => row.ref_count === 0).map((row) => row.id);
    if (emptied.length === 0) return;
    const unreferenced = await returningRows<{ storage_key: string }>(
      context.manager,
      `DELETE FROM blobs WHERE id = ANY($1::uuid[]) RETURNING storage_key`,
      [emptied],
    );
    for (const { storage_key: key } of unreferenced) await this.removeAfterCommit(context, key);
  }

  /**
   * Removes temporary objects untouched for an hour (uploads that died), gives up unfinished writes
   * as old (an S3 multipart upload whose client went away), and removes stored objects no blob points
   * at (a crash between storing and committing, or a removal that failed).
   */
  async sweep(
    context: RequestContext,
    log: Logger,
  ): Promise<{ temporary: number; unfinished: number; orphaned: number }> {
    const cutoff = Date.now() - TEMPORARY_MAX_AGE_MS;
    let temporary = 0;
    for await (const object of this.store.list('tmp/')) {
      if (object.modifiedAt.getTime() < cutoff) {
        await this.store.delete(object.key);
        temporary += 1;
      }
    }
    const unfinished = await this.store.abortUnfinishedWrites(new Date(cutoff));
    let orphaned = 0;
    for await (const object of this.store.list('blobs/')) {
      if (object.modifiedAt.getTime() >= cutoff) continue;
      const [row] = await context.manager.query<unknown[]>(`SELECT 1 FROM blobs WHERE storage_key = $1`, [
        object.key,
      ]);
      if (!row) {
        await this.store.delete(object.key);
        orphaned += 1;
      }
    }
    if (temporary || unfinished || orphaned) {
      log.info({ temporary, unfinished, orphaned }, 'swept stale storage objects');
    }
    return { temporary, unfinished, orphaned };
  }
}
