import { isUUID } from 'class-validator';
import { AppError, notFound } from '../app-error';
import type { Caller, RequestContext } from '../context';
import { violatedForeignKey, violatedUniqueConstraint } from '../db/errors';
import { returningRows } from '../db/returning';
import { transactional } from '../db/transaction';
import { NodeKind, type Node } from '../entities/node.entity';
import { Share } from '../entities/share.entity';
import { ErrorCode } from '../schema/error-code';
import type { BlobService } from './blob.service';
import { ConflictPolicy, type NodeService } from './node.service';
import type { QuotaService } from './quota.service';
import { rankedColumns, type RankedShare, type RankingService } from './ranking.service';
import { batcherPerRequest, RequestBatcher } from './request-batcher';

/** A public share as clients see it: the share, its file's content and its sharer. */
export interface SharedFile {
  id: string;
  name: string;
  md5: string;
  size: number;
  contentType: string;
  pv: number;
  createdAt: Date;
  sharer: string;
}

export interface SharedFilePage {
  totalCount: number;
  shares: SharedFile[];
}

interface SharedFileRow {
  id: string;
  name: string;
  md5: string;
  size: string;
  content_type: string;
  pv: number;
  created_at: Date;
  user_name: string;
}

const SHARED_FILE_SELECT = `
  SELECT s.id, s.name, s.md5, b.size, b.content_type, s.pv, s.created_at, u.user_name
    FROM shares s
    JOIN nodes n ON n.id = s.node_id
    JOIN blobs b ON b.id = n.blob_id
    JOIN users u ON u.id = s.owner_id`;

const toSharedFile = (row: SharedFileRow): SharedFile => ({
  id: row.id,
  name: row.name,
  md5: row.md5,
  size: Number(row.size),
  contentType: row.content_type,
  pv: row.pv,
  createdAt: row.created_at,
  sharer: row.user_name,
});

/**
 * Public file shares (spec 001 `dealfile?cmd=share`, `dealsharefile`, `sharefiles`). A share is named
 * by `(md5, name)` like the old servers did, and lives exactly as long as its file: deleting the file
 * deletes the share (foreign key) and its ranking entry (a deletion listener).
 */
export class ShareService {
  private readonly sharedNodes = batcherPerRequest(
    (context: RequestContext) =>
      new RequestBatcher<string, boolean>(async (nodeIds) => {
        const rows = await context.manager.query<{ node_id: string }[]>(
          `SELECT node_id FROM shares WHERE node_id = ANY($1::uuid[])`,
          [nodeIds],
        );
        return new Map(rows.map((row) => [row.node_id, true]));
      }, false),
  );

  constructor(
    private readonly nodes: NodeService,
    private readonly blobs: BlobService,
    private readonly ranking: RankingService,
    private readonly quota: QuotaService,
  ) {
    nodes.onDeletion((context, nodeIds) => this.forgetNodes(context, nodeIds));
    nodes.onFileChange((context, nodeIds) => this.followFiles(context, nodeIds));
  }

  /** Shares the caller's file publicly; ALREADY_SHARED when anyone already shares its `(md5, name)`. */
  async share(context: RequestContext, caller: Caller, nodeId: string): Promise<SharedFile> {
    return transactional(context, async (tx) => {
      const node = await this.ownedFile(tx, caller, nodeId);
      // One statement settles three races: the same file shared twice, two files with the same
      // (md5, name) shared at once, and the file deleted since it was read.
      const [inserted] = await tx.manager
        .query<RankedShare[]>(
          `INSERT INTO shares (node_id, owner_id, md5, name) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING RETURNING ${rankedColumns()}`,
          [node.id, node.ownerId, node.blob!.md5, node.name],
        )
        .catch((error: unknown) => {
          throw violatedForeignKey(error) ? notFound('File') : error;
        });
      if (!inserted) {
        throw new AppError(ErrorCode.ALREADY_SHARED, 'A file with this content and name is already shared');
      }
      await this.ranking.scheduleUpdate(tx, inserted);
      return this.findOrThrow(tx, inserted.id);
    });
  }

  /** Stops sharing the caller's file; NOT_FOUND when it is not shared (or not the caller's). */
  async cancel(context: RequestContext, caller: Caller, nodeId: string): Promise<void> {
    const removed = await returningRows<RankedShare>(
      context.manager,
      `DELETE FROM shares WHERE node_id = $1 AND owner_id = $2 RETURNING ${rankedColumns()}`,
      [nodeId, caller.userId],
    );
    if (removed.length === 0) throw notFound('Share');
    await this.ranking.scheduleRemoval(context, removed);
  }

  /** Every public share, newest first. */
  async list(context: RequestContext, offset: number, limit: number): Promise<SharedFilePage> {
    const [{ count }] = await context.manager.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM shares`,
    );
    const rows = await context.manager.query<SharedFileRow[]>(
      `${SHARED_FILE_SELECT} ORDER BY s.created_at DESC, s.id OFFSET $1 LIMIT $2`,
      [offset, limit],
    );
    return { totalCount: count, shares: rows.map(toSharedFile) };
  }

  async findByContentOrThrow(context: RequestContext, md5: string, name: string): Promise<SharedFile> {
    const [row] = await context.manager.query<SharedFileRow[]>(
      `${SHARED_FILE_SELECT} WHERE s.md5 = $1 AND s.name = $2`,
      [md5.toLowerCase(), name],
    );
    if (!row) throw notFound('Share');
    return toSharedFile(row);
  }

  /**
   * Adds a shared file to the caller's folder, as one more reference to the same content.
   * ALREADY_OWNED when the caller already has that `(md5, name)` there (spec 001 `save`, code 5).
   */
  async save(context: RequestContext, caller: Caller, shareId: string, folder: string): Promise<Node> {
    if (!isUUID(shareId)) throw notFound('Share');
    return transactional(context, async (tx) => {
      await this.quota.lockUsage(tx, caller.userId);
      // Locking the file keeps it, and so its content, from being deleted before our reference counts.
      const [share] = await tx.manager.query<{ md5: string; name: string; blob_id: string }[]>(
        `SELECT s.md5, s.name, n.blob_id FROM shares s JOIN nodes n ON n.id = s.node_id
          WHERE s.id = $1 FOR SHARE OF s, n`,
        [shareId],
      );
      if (!share) throw notFound('Share');
      if (await this.nodes.findFileByContent(tx, caller, share.md5, share.name, folder)) {
        throw new AppError(ErrorCode.ALREADY_OWNED, 'You already have this file in that folder');
      }
      await this.blobs.addReferenceById(tx, share.blob_id);
      return this.nodes.placeFile(
        tx,
        caller.userId,
        folder,
        share.name,
        share.blob_id,
        ConflictPolicy.RENAME,
      );
    });
  }

  /** Counts one public download, atomically, and answers with the count it reached. */
  async recordDownload(context: RequestContext, shareId: string): Promise<SharedFile> {
    if (!isUUID(shareId)) throw notFound('Share');
    const [counted] = await returningRows<RankedShare>(
      context.manager,
      `UPDATE shares SET pv = pv + 1 WHERE id = $1 RETURNING ${rankedColumns()}`,
      [shareId],
    );
    if (!counted) throw notFound('Share');
    await this.ranking.scheduleUpdate(context, counted);
    return { ...(await this.findOrThrow(context, shareId)), pv: counted.pv };
  }

  /** Whether this node is publicly shared; the lookups of one request are batched into one query. */
  isShared(context: RequestContext, nodeId: string): Promise<boolean> {
    return this.sharedNodes(context).load(nodeId);
  }

  /** The file a public share URL serves; null once the share or the file is gone. */
  async servableFile(context: RequestContext, shareId: string): Promise<Node | null> {
    if (!isUUID(shareId)) return null;
    const share = await context.manager.findOneBy(Share, { id: shareId });
    return share ? this.nodes.findFile(context, share.nodeId) : null;
  }

  private async ownedFile(context: RequestContext, caller: Caller, nodeId: string): Promise<Node> {
    const node = await this.nodes.findOwnedNodeOrThrow(context, caller, nodeId);
    if (node.kind !== NodeKind.FILE) throw notFound('File');
    return node;
  }

  private async findOrThrow(context: RequestContext, shareId: string): Promise<SharedFile> {
    const [row] = await context.manager.query<SharedFileRow[]>(`${SHARED_FILE_SELECT} WHERE s.id = $1`, [
      shareId,
    ]);
    if (!row) throw notFound('Share');
    return toSharedFile(row);
  }

  /** The shares of deleted nodes go by cascade; their ranking entries go after the commit. */
  private async forgetNodes(context: RequestContext, nodeIds: string[]): Promise<void> {
    const shares = await context.manager.query<RankedShare[]>(
      `SELECT ${rankedColumns()} FROM shares WHERE node_id = ANY($1::uuid[])`,
      [nodeIds],
    );
    await this.ranking.scheduleRemoval(context, shares);
  }

  /**
   * A share keeps naming its file by its current `(md5, name)`. When a rename or new content makes
   * that pair one someone else already shares, this share ends: the pair can name only one share.
   */
  private async followFiles(context: RequestContext, nodeIds: string[]): Promise<void> {
    // A share of the same (md5, name) committed between the two statements makes the update fail:
    // under a savepoint, that failure is undone and the share it displaces is ended on the next pass.
    for (;;) {
      const displaced = await returningRows<RankedShare>(
        context.manager,
        `DELETE FROM shares s USING nodes n, blobs b
          WHERE s.node_id = n.id AND b.id = n.blob_id AND n.id = ANY($1::uuid[])
            AND EXISTS (SELECT 1 FROM shares o WHERE o.md5 = b.md5 AND o.name = n.name AND o.id <> s.id)
          RETURNING ${rankedColumns('s')}`,
        [nodeIds],
      );
      await this.ranking.scheduleRemoval(context, displaced);
      await context.manager.query('SAVEPOINT follow_files');
      try {
        await context.manager.query(
          `UPDATE shares s SET md5 = b.md5, name = n.name
             FROM nodes n JOIN blobs b ON b.id = n.blob_id
            WHERE s.node_id = n.id AND n.id = ANY($1::uuid[]) AND (s.md5, s.name) <> (b.md5, n.name)`,
          [nodeIds],
        );
        await context.manager.query('RELEASE SAVEPOINT follow_files');
        return;
      } catch (error) {
        if (violatedUniqueConstraint(error) !== 'shares_content_key') throw error;
        await context.manager.query('ROLLBACK TO SAVEPOINT follow_files');
      }
    }
  }
}
