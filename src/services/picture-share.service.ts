import { isUUID } from 'class-validator';
import { randomBytes } from 'node:crypto';
import { AppError, notFound } from '../app-error';
import type { Caller, RequestContext } from '../context';
import { runPrepared } from '../db/prepared';
import { violatedForeignKey } from '../db/errors';
import { returningRows } from '../db/returning';
import { transactional } from '../db/transaction';
import { DriveItemKind } from '../entities/drive-item.entity';
import { ErrorCode } from '../schema/error-code';
import type { CountLimiter } from './count-limiter';
import type { DriveService } from './drive.service';
import { listPage, newestFirst, type Listing, type PageRequest } from './pagination';
import { batcherPerRequest, RequestBatcher } from './request-batcher';
import { findServableFile, servableFileStatement, type ServableFile } from './servable-file';

const SHARED_PICTURE = servableFileStatement(
  'FROM picture_shares ps JOIN nodes n ON n.id = ps.node_id',
  'ps.key = $1',
);

/** A picture share as clients see it; name, md5 and size are as the file last was. */
export interface PictureShareView {
  id: string;
  /** Null once the file is deleted. */
  fileId: string | null;
  ownerId: string;
  key: string;
  name: string;
  md5: string;
  size: number;
  pv: number;
  createdAt: Date;
  sharer: string;
  fileDeleted: boolean;
}

/** A view asked for, and whether this call counted it (CountLimiter). */
export interface CountedPictureView {
  pictureShare: PictureShareView;
  counted: boolean;
}

interface PictureShareRow {
  id: string;
  owner_id: string;
  key: string;
  name: string;
  md5: string;
  size: string;
  pv: number;
  created_at: Date;
  node_id: string | null;
  user_name: string;
}

/** Keys are exactly what `newKey` makes; anything else is unknown and never reaches SQL. */
const KEY = /^[0-9a-f]{32}$/;
const newKey = () => randomBytes(16).toString('hex');

const PICTURE_SHARE_COLUMNS = `ps.id, ps.owner_id, ps.key, ps.name, ps.md5, ps.size, ps.pv, ps.created_at,
  ps.node_id, u.user_name`;
const PICTURE_SHARE_FROM = `FROM picture_shares ps JOIN users u ON u.id = ps.owner_id`;

const NEWEST_FIRST = newestFirst('picture-shares:newest', 'ps');

const toView = (row: PictureShareRow): PictureShareView => ({
  id: row.id,
  fileId: row.node_id,
  ownerId: row.owner_id,
  key: row.key,
  name: row.name,
  md5: row.md5,
  size: Number(row.size),
  pv: row.pv,
  createdAt: row.created_at,
  sharer: row.user_name,
  fileDeleted: row.node_id === null,
});

/**
 * Pictures shared under a random key (spec 001 `sharepic`). A share outlives its file so that a view
 * can tell "deleted" from "never existed"; its URL stops serving the moment the file goes.
 */
export class PictureShareService {
  private readonly sharesOfFiles = batcherPerRequest(
    (context: RequestContext) =>
      new RequestBatcher<string, PictureShareView | null>(async (fileIds) => {
        const rows = await runPrepared<PictureShareRow>(
          context.manager,
          `SELECT ${PICTURE_SHARE_COLUMNS} ${PICTURE_SHARE_FROM} WHERE ps.node_id = ANY($1::uuid[])`,
          [fileIds],
        );
        return new Map(rows.map((row) => [row.node_id!, toView(row)]));
      }, null),
  );

  constructor(
    private readonly nodes: DriveService,
    private readonly counts: CountLimiter,
  ) {
    nodes.onFileChange((context, nodeIds) => this.followFiles(context, nodeIds));
  }

  /** Shares the caller's file under a new key, or answers with the share it already has. */
  async share(context: RequestContext, caller: Caller, nodeId: string): Promise<PictureShareView> {
    return transactional(context, async (tx) => {
      const node = await this.nodes.findOwnedOrThrow(tx, caller, nodeId);
      if (node.kind !== DriveItemKind.FILE) throw notFound('File');
      await tx.manager
        .query(
          `INSERT INTO picture_shares (key, node_id, owner_id, name, md5, size) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (node_id) DO NOTHING`,
          [newKey(), node.id, node.ownerId, node.name, node.blob!.md5, node.blob!.size],
        )
        .catch((error: unknown) => {
          // The file was deleted since it was read.
          throw violatedForeignKey(error) ? notFound('File') : error;
        });
      const [row] = await tx.manager.query<PictureShareRow[]>(
        `SELECT ${PICTURE_SHARE_COLUMNS} ${PICTURE_SHARE_FROM} WHERE ps.node_id = $1`,
        [node.id],
      );
      return toView(row);
    });
  }

  /** The caller's picture shares, newest first, those of deleted files included. */
  async listMine(
    context: RequestContext,
    caller: Caller,
    request: PageRequest,
  ): Promise<Listing<PictureShareView>> {
    return listPage(
      context,
      {
        ordering: NEWEST_FIRST,
        columns: PICTURE_SHARE_COLUMNS,
        from: PICTURE_SHARE_FROM,
        countFrom: 'FROM picture_shares ps',
        where: 'ps.owner_id = $1',
        parameters: [caller.userId],
      },
      request,
      toView,
    );
  }

  /** A picture share by key, without counting a view; null for an unknown key. */
  async findByKey(context: RequestContext, key: string): Promise<PictureShareView | null> {
    if (!KEY.test(key)) return null;
    const [row] = await runPrepared<PictureShareRow>(
      context.manager,
      `SELECT ${PICTURE_SHARE_COLUMNS} ${PICTURE_SHARE_FROM} WHERE ps.key = $1`,
      [key],
    );
    return row ? toView(row) : null;
  }

  /** One of the caller's picture shares by id; null when there is none such. */
  async findMine(context: RequestContext, caller: Caller, id: string): Promise<PictureShareView | null> {
    if (!isUUID(id)) return null;
    const [row] = await runPrepared<PictureShareRow>(
      context.manager,
      `SELECT ${PICTURE_SHARE_COLUMNS} ${PICTURE_SHARE_FROM} WHERE ps.id = $1 AND ps.owner_id = $2`,
      [id, caller.userId],
    );
    return row ? toView(row) : null;
  }

  /** The picture share of a file, if it has one; the lookups of one request are batched. */
  shareOfFile(context: RequestContext, fileId: string): Promise<PictureShareView | null> {
    return this.sharesOfFiles(context).load(fileId);
  }

  /**
   * Counts one view, atomically, and answers with the new count (spec 001 `sharepic?cmd=browse`).
   * GONE when the file has been deleted: that view is not counted.
   */
  async view(context: RequestContext, key: string): Promise<CountedPictureView> {
    if (!KEY.test(key)) throw notFound('Picture share');
    if (await this.counts.allows(context, 'picture-views', key)) {
      const [row] = await returningRows<PictureShareRow>(
        context.manager,
        `UPDATE picture_shares ps SET pv = ps.pv + 1 FROM users u
          WHERE u.id = ps.owner_id AND ps.key = $1 AND ps.node_id IS NOT NULL
          RETURNING ${PICTURE_SHARE_COLUMNS}`,
        [key],
      );
      if (row) return { pictureShare: toView(row), counted: true };
    }
    // Not counted: the key is unknown, its file is gone, or this client has viewed it enough.
    const share = await this.findByKey(context, key);
    if (!share) throw notFound('Picture share');
    if (share.fileDeleted) throw new AppError(ErrorCode.GONE, 'The shared picture has been deleted');
    return { pictureShare: share, counted: false };
  }

  /** Ends one of the caller's picture shares, by id; NOT_FOUND for anyone else's. */
  async cancel(context: RequestContext, caller: Caller, id: string): Promise<void> {
    if (!isUUID(id)) throw notFound('Picture share');
    const removed = await returningRows<{ id: string }>(
      context.manager,
      `DELETE FROM picture_shares WHERE id = $1 AND owner_id = $2 RETURNING id`,
      [id, caller.userId],
    );
    if (removed.length === 0) throw notFound('Picture share');
  }

  /** The file a picture URL serves; null for an unknown key or a deleted file. */
  servableFile(context: RequestContext, key: string): Promise<ServableFile | null> {
    if (!KEY.test(key)) return Promise.resolve(null);
    return findServableFile(context, SHARED_PICTURE, key);
  }

  /** Keeps the name, md5 and size current, so they are right when the file is later deleted. */
  private async followFiles(context: RequestContext, nodeIds: string[]): Promise<void> {
    await context.manager.query(
      `UPDATE picture_shares ps SET name = n.name, md5 = b.md5, size = b.size
         FROM nodes n JOIN blobs b ON b.id = n.blob_id
        WHERE ps.node_id = n.id AND n.id = ANY($1::uuid[])`,
      [nodeIds],
    );
  }
}
