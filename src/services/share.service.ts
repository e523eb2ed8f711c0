import { isUUID } from 'class-validator';
import { AppError, notFound } from '../app-error';
import type { Caller, RequestContext } from '../context';
import { runPrepared } from '../db/prepared';
import { violatedForeignKey, violatedUniqueConstraint } from '../db/errors';
import { returningRows } from '../db/returning';
import { transactional } from '../db/transaction';
import { DriveItemKind, type DriveItem } from '../entities/drive-item.entity';
import { ErrorCode } from '../schema/error-code';
import type { BlobService } from './blob.service';
import type { CountLimiter } from './count-limiter';
import { ConflictPolicy, type DriveService } from './drive.service';
import {
  cursorOfRow,
  keyColumnsOf,
  listPage,
  newestFirst,
  type Listing,
  type Ordering,
  type PageRequest,
} from './pagination';
import type { QuotaService } from './quota.service';
import { RANKING, rankedColumns, type RankedShare, type RankingService } from './ranking.service';
import { batcherPerRequest, RequestBatcher } from './request-batcher';
import { SqlParameters } from '../db/sql-parameters';
import { findServableFile, servableFileStatement, type ServableFile } from './servable-file';

const SHARED_FILE = servableFileStatement('FROM shares s JOIN nodes n ON n.id = s.node_id', 's.id = $1');

/** A public share as clients see it: the share, its file's content and its sharer. */
export interface SharedFile {
  id: string;
  /** The shared file, which only its owner may look at as a file. */
  fileId: string;
  ownerId: string;
  name: string;
  md5: string;
  size: number;
  contentType: string;
  pv: number;
  createdAt: Date;
  sharer: string;
  /** The cursor of the share in the list it was read from, if any. */
  cursor?: string;
}

/** A count asked for, and whether this call added to it (CountLimiter). */
export interface CountedShare {
  share: SharedFile;
  counted: boolean;
}

interface SharedFileRow {
  id: string;
  node_id: string;
  owner_id: string;
  name: string;
  md5: string;
  size: string;
  content_type: string;
  pv: number;
  created_at: Date;
  user_name: string;
}

const SHARED_FILE_COLUMNS = `s.id, s.node_id, s.owner_id, s.name, s.md5, b.size, b.content_type, s.pv,
  s.created_at, u.user_name`;

const SHARED_FILE_FROM = `
    FROM shares s
    JOIN nodes n ON n.id = s.node_id
    JOIN blobs b ON b.id = n.blob_id
    JOIN users u ON u.id = s.owner_id`;

const toSharedFile = (row: SharedFileRow): SharedFile => ({
  id: row.id,
  fileId: row.node_id,
  ownerId: row.owner_id,
  name: row.name,
  md5: row.md5,
  size: Number(row.size),
  contentType: row.content_type,
  pv: row.pv,
  createdAt: row.created_at,
  sharer: row.user_name,
});

/** Shares newest first, in every list of shares but the ranking. */
const NEWEST_FIRST = newestFirst('shares:newest', 's');

/**
 * Public file shares (spec 001 `dealfile?cmd=share`, `dealsharefile`, `sharefiles`). A share is named
 * by `(md5, name)` like the old servers did, and lives exactly as long as its file: deleting the file
 * deletes the share (foreign key) and its ranking entry (a deletion listener).
 */
export class ShareService {
  private readonly sharesOfFiles = batcherPerRequest(
    (context: RequestContext) =>
      new RequestBatcher<string, SharedFile | null>(async (fileIds) => {
        const rows = await runPrepared<SharedFileRow>(
          context.manager,
          `SELECT ${SHARED_FILE_COLUMNS} ${SHARED_FILE_FROM} WHERE s.node_id = ANY($1::uuid[])`,
          [fileIds],
        );
        return new Map(rows.map((row) => [row.node_id, toSharedFile(row)]));
      }, null),
  );

  constructor(
    private readonly nodes: DriveService,
    private readonly blobs: BlobService,
    private readonly ranking: RankingService,
    private readonly quota: QuotaService,
    private readonly counts: CountLimiter,
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

  /** Ends one of the caller's shares; NOT_FOUND when there is none such (or it is someone else's). */
  async cancel(context: RequestContext, caller: Caller, shareId: string): Promise<void> {
    if (!isUUID(shareId)) throw notFound('Share');
    const removed = await returningRows<RankedShare>(
      context.manager,
      `DELETE FROM shares WHERE id = $1 AND owner_id = $2 RETURNING ${rankedColumns()}`,
      [shareId, caller.userId],
    );
    if (removed.length === 0) throw notFound('Share');
    await this.ranking.scheduleRemoval(context, removed);
  }

  /** Every public share, newest first. */
  list(context: RequestContext, page: PageRequest): Promise<Listing<SharedFile>> {
    return this.listWhere(context, NEWEST_FIRST, page, new SqlParameters(), 'true');
  }

  /** The caller's own shares, newest first. */
  listMine(context: RequestContext, caller: Caller, page: PageRequest): Promise<Listing<SharedFile>> {
    const parameters = new SqlParameters();
    return this.listWhere(
      context,
      NEWEST_FIRST,
      page,
      parameters,
      `s.owner_id = ${parameters.add(caller.userId)}`,
    );
  }

  /**
   * Public shares by downloads, most first, ties newest first: from the ranking in Redis where it
   * can answer (RankingService), else from the ranking index in Postgres.
   */
  async downloadRanking(context: RequestContext, page: PageRequest): Promise<Listing<SharedFile>> {
    const ranked = await this.ranking.page(context, page, async (ids) => {
      const rows = await runPrepared<SharedFileRow & Record<string, unknown>>(
        context.manager,
        `SELECT ${SHARED_FILE_COLUMNS}, ${keyColumnsOf(RANKING)} ${SHARED_FILE_FROM} WHERE s.id = ANY($1::uuid[])`,
        [ids],
      );
      return new Map(rows.map((row) => [row.id, row]));
    });
    if (!ranked) {
      const listing = await this.listWhere(context, RANKING, page, new SqlParameters(), 'true');
      return { ...listing, totalCount: () => this.ranking.count(context) };
    }
    return {
      items: ranked.rows.map(toSharedFile),
      cursors: ranked.rows.map((row) => cursorOfRow(RANKING, row)),
      hasNextPage: ranked.hasNextPage,
      hasPreviousPage: ranked.hasPreviousPage,
      totalCount: () => this.ranking.count(context),
    };
  }

  /** A share by id, whoever shared it; null when there is none. */
  async find(context: RequestContext, shareId: string): Promise<SharedFile | null> {
    if (!isUUID(shareId)) return null;
    const [row] = await runPrepared<SharedFileRow>(
      context.manager,
      `SELECT ${SHARED_FILE_COLUMNS} ${SHARED_FILE_FROM} WHERE s.id = $1`,
      [shareId],
    );
    return row ? toSharedFile(row) : null;
  }

  /** The share of this content and name (spec 001 names shares so); null when there is none. */
  async findByContent(context: RequestContext, md5: string, name: string): Promise<SharedFile | null> {
    const [row] = await runPrepared<SharedFileRow>(
      context.manager,
      `SELECT ${SHARED_FILE_COLUMNS} ${SHARED_FILE_FROM} WHERE s.md5 = $1 AND s.name = $2`,
      [md5.toLowerCase(), name],
    );
    return row ? toSharedFile(row) : null;
  }

  /** The share of a file, if it is shared; the lookups of one request are batched into one query. */
  shareOfFile(context: RequestContext, fileId: string): Promise<SharedFile | null> {
    return this.sharesOfFiles(context).load(fileId);
  }

  private async listWhere(
    context: RequestContext,
    ordering: Ordering,
    request: PageRequest,
    parameters: SqlParameters,
    condition: string,
  ): Promise<Listing<SharedFile>> {
    return listPage(
      context,
      {
        ordering,
        columns: SHARED_FILE_COLUMNS,
        from: SHARED_FILE_FROM,
        countFrom: 'FROM shares s',
        where: condition,
        parameters: parameters.values,
      },
      request,
      toSharedFile,
    );
  }

  /**
   * Adds a shared file to the caller's folder, as one more reference to the same content.
   * ALREADY_OWNED when the caller already has that `(md5, name)` there (spec 001 `save`, code 5).
   */
  async save(context: RequestContext, caller: Caller, shareId: string, folder: string): Promise<DriveItem> {
    if (!isUUID(shareId)) throw notFound('Share');
    return transactional(
      context,
      async (tx) => {
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
      },
      'save',
    );
  }

  /**
   * Counts one public download, atomically, and answers with the count it reached; past the client's
   * allowance (CountLimiter) it counts nothing and answers the count as it is.
   */
  async recordDownload(context: RequestContext, shareId: string): Promise<CountedShare> {
    if (!isUUID(shareId)) throw notFound('Share');
    if (!(await this.counts.allows(context, 'share-downloads', shareId))) {
      const share = await this.find(context, shareId);
      if (!share) throw notFound('Share');
      return { share, counted: false };
    }
    const [counted] = await returningRows<RankedShare>(
      context.manager,
      `UPDATE shares SET pv = pv + 1 WHERE id = $1 RETURNING ${rankedColumns()}`,
      [shareId],
    );
    if (!counted) throw notFound('Share');
    await this.ranking.scheduleUpdate(context, counted);
    return { share: { ...(await this.findOrThrow(context, shareId)), pv: counted.pv }, counted: true };
  }

  /** The file a public share URL serves; null once the share or the file is gone. */
  servableFile(context: RequestContext, shareId: string): Promise<ServableFile | null> {
    if (!isUUID(shareId)) return Promise.resolve(null);
    return findServableFile(context, SHARED_FILE, shareId);
  }

  private async ownedFile(context: RequestContext, caller: Caller, nodeId: string): Promise<DriveItem> {
    const node = await this.nodes.findOwnedOrThrow(context, caller, nodeId);
    if (node.kind !== DriveItemKind.FILE) throw notFound('File');
    return node;
  }

  private async findOrThrow(context: RequestContext, shareId: string): Promise<SharedFile> {
    const share = await this.find(context, shareId);
    if (!share) throw notFound('Share');
    return share;
  }

  /** The shares of deleted nodes go by cascade; their ranking entries go after the commit. */
  private async forgetNodes(context: RequestContext, nodeIds: string[]): Promise<void> {
    const shares = await runPrepared<RankedShare>(
      context.manager,
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
