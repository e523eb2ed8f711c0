import { randomBytes } from 'node:crypto';
import { AppError, notFound } from '../app-error';
import type { Caller, RequestContext } from '../context';
import { violatedForeignKey } from '../db/errors';
import { returningRows } from '../db/returning';
import { transactional } from '../db/transaction';
import { NodeKind, type Node } from '../entities/node.entity';
import { PictureShare } from '../entities/picture-share.entity';
import { ErrorCode } from '../schema/error-code';
import type { NodeService } from './node.service';

/** A picture share as clients see it; name, md5 and size are as the file last was. */
export interface PictureShareView {
  key: string;
  name: string;
  md5: string;
  size: number;
  pv: number;
  createdAt: Date;
  sharer: string;
  fileDeleted: boolean;
}

export interface PictureSharePage {
  totalCount: number;
  pictureShares: PictureShareView[];
}

interface PictureShareRow {
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

const PICTURE_SHARE_COLUMNS = `ps.key, ps.name, ps.md5, ps.size, ps.pv, ps.created_at, ps.node_id, u.user_name`;

const toView = (row: PictureShareRow): PictureShareView => ({
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
  constructor(private readonly nodes: NodeService) {
    nodes.onFileChange((context, nodeIds) => this.followFiles(context, nodeIds));
  }

  /** Shares the caller's file under a new key, or answers with the share it already has. */
  async share(context: RequestContext, caller: Caller, nodeId: string): Promise<PictureShareView> {
    return transactional(context, async (tx) => {
      const node = await this.nodes.findOwnedNodeOrThrow(tx, caller, nodeId);
      if (node.kind !== NodeKind.FILE) throw notFound('File');
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
        `SELECT ${PICTURE_SHARE_COLUMNS} FROM picture_shares ps JOIN users u ON u.id = ps.owner_id
          WHERE ps.node_id = $1`,
        [node.id],
      );
      return toView(row);
    });
  }

  /** The caller's picture shares, newest first, those of deleted files included. */
  async listMine(
    context: RequestContext,
    caller: Caller,
    offset: number,
    limit: number,
  ): Promise<PictureSharePage> {
    const [{ count }] = await context.manager.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM picture_shares WHERE owner_id = $1`,
      [caller.userId],
    );
    const rows = await context.manager.query<PictureShareRow[]>(
      `SELECT ${PICTURE_SHARE_COLUMNS} FROM picture_shares ps JOIN users u ON u.id = ps.owner_id
        WHERE ps.owner_id = $1 ORDER BY ps.created_at DESC, ps.id OFFSET $2 LIMIT $3`,
      [caller.userId, offset, limit],
    );
    return { totalCount: count, pictureShares: rows.map(toView) };
  }

  /** A picture share by key, without counting a view. */
  async findOrThrow(context: RequestContext, key: string): Promise<PictureShareView> {
    if (!KEY.test(key)) throw notFound('Picture share');
    const [row] = await context.manager.query<PictureShareRow[]>(
      `SELECT ${PICTURE_SHARE_COLUMNS} FROM picture_shares ps JOIN users u ON u.id = ps.owner_id
        WHERE ps.key = $1`,
      [key],
    );
    if (!row) throw notFound('Picture share');
    return toView(row);
  }

  /**
   * Counts one view, atomically, and answers with the new count (spec 001 `sharepic?cmd=browse`).
   * GONE when the file has been deleted: that view is not counted.
   */
  async view(context: RequestContext, key: string): Promise<PictureShareView> {
    if (!KEY.test(key)) throw notFound('Picture share');
    const [row] = await returningRows<PictureShareRow>(
      context.manager,
      `UPDATE picture_shares ps SET pv = ps.pv + 1 FROM users u
        WHERE u.id = ps.owner_id AND ps.key = $1 AND ps.node_id IS NOT NULL
        RETURNING ${PICTURE_SHARE_COLUMNS}`,
      [key],
    );
    if (row) return toView(row);
    // Not counted: either the key is unknown (NOT_FOUND from here) or its file is gone.
    await this.findOrThrow(context, key);
    throw new AppError(ErrorCode.GONE, 'The shared picture has been deleted');
  }

  async cancel(context: RequestContext, caller: Caller, key: string): Promise<void> {
    if (!KEY.test(key)) throw notFound('Picture share');
    const removed = await returningRows<{ id: string }>(
      context.manager,
      `DELETE FROM picture_shares WHERE key = $1 AND owner_id = $2 RETURNING id`,
      [key, caller.userId],
    );
    if (removed.length === 0) throw notFound('Picture share');
  }

  /** The file a picture URL serves; null for an unknown key or a deleted file. */
  async servableFile(context: RequestContext, key: string): Promise<Node | null> {
    if (!KEY.test(key)) return null;
    const share = await context.manager.findOneBy(PictureShare, { key });
    return share?.nodeId ? this.nodes.findFile(context, share.nodeId) : null;
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
