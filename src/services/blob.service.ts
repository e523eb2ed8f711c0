import type { RequestContext } from '../context';
import { runPrepared } from '../db/prepared';
import { returningRows } from '../db/returning';
import { afterCommit, afterRollback } from '../db/transaction';
import type { Logger } from '../logger';
import type { AbandonedWrite, BlobStore } from '../storage/blob-store';
import { ownerOfKey } from '../storage/keys';
import { BackgroundWork } from './background-work';
import type { IngestedContent } from './ingest';

const TEMPORARY_MAX_AGE_MS = 60 * 60 * 1000;
/** Stored objects looked up in the database at once by a sweep. */
const SWEEP_BATCH = 1000;

/** Who wrote temporary objects and whether they still live (a ProcessLease). */
export interface TemporaryOwners {
  /** This process's owner id, named in the keys of the temporary objects it writes. */
  readonly owner: string;
  isAlive(owner: string): Promise<boolean>;
}

/**
 * Reference-counted content. Every file holds one reference to its blob; a blob at zero references is
 * deleted in the same transaction and its bytes removed after commit. Each stored object has its own
 * random key, so removing one blob's bytes can never touch another's, however they race.
 */
export class BlobService {
  /** Removals of bytes no row points at any more. */
  private readonly removals = new BackgroundWork();

  constructor(
    readonly store: BlobStore,
    private readonly owners: TemporaryOwners,
  ) {}

  /**
   * Removes a stored object that nothing refers to once the transaction commits, without holding up
   * the answer: unlinking a 1 GiB file takes up to half a second here, and no caller needs it gone.
   * One that fails is logged and left to the sweeper.
   */
  private async removeAfterCommit(context: RequestContext, key: string): Promise<void> {
    await afterCommit(context, async () =>
      this.removals.start(() =>
        this.store
          .delete(key)
          .catch((error: unknown) =>
            context.log.error({ err: error, key }, 'removing a stored object failed'),
          ),
      ),
    );
  }

  /** Resolves once every removal started so far has finished: before shutdown, and in tests. */
  settled(): Promise<void> {
    return this.removals.settled();
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
    const candidates = await runPrepared<{ id: string }>(
      context.manager,
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
   * Whether something written that nothing may still need (a temporary object, an unfinished write,
   * a stored object no blob points at) is abandoned: at once when the process that wrote it has died
   * (its lease is gone), however fresh; when this process wrote it, or a release that named no owner,
   * once untouched for an hour. A live process's writes are its work in progress, left alone.
   */
  private abandonment(): AbandonedWrite {
    const cutoff = Date.now() - TEMPORARY_MAX_AGE_MS;
    const alive = new Map<string, Promise<boolean>>();
    return async (key, lastTouched) => {
      const owner = ownerOfKey(key);
      if (owner === null || owner === this.owners.owner) return (await lastTouched()).getTime() < cutoff;
      if (!alive.has(owner)) alive.set(owner, this.owners.isAlive(owner));
      return !(await alive.get(owner));
    };
  }

  /**
   * Removes the temporary objects no upload will finish, and gives up the writes that never became
   * objects (an S3 multipart upload whose client or process went away); see `abandonment`.
   */
  async sweepTemporary(log: Logger): Promise<{ temporary: number; unfinished: number }> {
    const abandoned = this.abandonment();
    let temporary = 0;
    for await (const object of this.store.list('tmp/')) {
      if (!(await abandoned(object.key, async () => object.modifiedAt))) continue;
      await this.store.delete(object.key);
      temporary += 1;
    }
    const unfinished = await this.store.abortUnfinishedWrites(abandoned);
    if (temporary || unfinished) {
      log.info({ temporary, unfinished }, 'removed temporary objects and writes no upload will finish');
    }
    return { temporary, unfinished };
  }

  /**
   * Removes abandoned temporary objects and writes, and abandoned stored objects no blob points at:
   * bytes kept for a row that never committed (a crash between the two), or whose removal failed.
   */
  async sweep(
    context: RequestContext,
    log: Logger,
  ): Promise<{ temporary: number; unfinished: number; orphaned: number }> {
    const { temporary, unfinished } = await this.sweepTemporary(log);
    const abandoned = this.abandonment();
    let orphaned = 0;
    for await (const objects of batches(this.store.list('blobs/'), SWEEP_BATCH)) {
      const referenced = await runPrepared<{ storage_key: string }>(
        context.manager,
        `SELECT storage_key FROM blobs WHERE storage_key = ANY($1::text[])`,
        [objects.map((object) => object.key)],
      );
      const kept = new Set(referenced.map((row) => row.storage_key));
      for (const object of objects) {
        if (kept.has(object.key) || !(await abandoned(object.key, async () => object.modifiedAt))) continue;
        await this.store.delete(object.key);
        orphaned += 1;
      }
    }
    if (orphaned) log.info({ orphaned }, 'removed stored objects no blob points at');
    return { temporary, unfinished, orphaned };
  }
}

/** The items of `items` in arrays of up to `size`. */
async function* batches<Item>(items: AsyncIterable<Item>, size: number): AsyncIterable<Item[]> {
  let batch: Item[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}
