import type { Caller, RequestContext } from '../context';
import { AppError, badInput, notFound } from '../app-error';
import { violatedUniqueConstraint } from '../db/errors';
import { returningRows } from '../db/returning';
import { transactional } from '../db/transaction';
import { Node, NodeKind } from '../entities/node.entity';
import { ErrorCode } from '../schema/error-code';
import type { BlobService } from './blob.service';
import { ancestorsOf, childDirOf, MAX_DIR_BYTES, numberedName, ROOT, toDir, validateName } from './paths';
import type { QuotaService } from './quota.service';

export enum ConflictPolicy {
  /** Keep both: the newcomer becomes `name (1).ext`. */
  RENAME = 'RENAME',
  /** A file takes the place of the file already there (never of a folder). */
  REPLACE = 'REPLACE',
  FAIL = 'FAIL',
}

export enum NodeOrder {
  CREATED = 'CREATED',
  NAME = 'NAME',
  PV_ASC = 'PV_ASC',
  PV_DESC = 'PV_DESC',
}

export interface NodeListRequest {
  folder: string;
  /** Include everything below `folder`, not only its direct children. */
  recursive: boolean;
  kind?: NodeKind;
  orderBy: NodeOrder;
  offset: number;
  limit: number;
}

export interface NodePage {
  totalCount: number;
  nodes: Node[];
}

/** Runs inside the transaction that deletes nodes, before they go (shares, rankings). */
export type NodeDeletionListener = (context: RequestContext, nodeIds: string[]) => Promise<void>;

/** Runs inside the transaction that renamed files or replaced their content (shares follow them). */
export type FileChangeListener = (context: RequestContext, nodeIds: string[]) => Promise<void>;

/** How many `name (n)` candidates one query checks. */
const FREE_NAME_BATCH = 32;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Property paths, not SQL: with a join and a page, TypeORM pages the ids first and needs to map them.
const ORDER: Record<NodeOrder, Record<string, 'ASC' | 'DESC'>> = {
  [NodeOrder.CREATED]: { 'n.createdAt': 'DESC', 'n.id': 'ASC' },
  [NodeOrder.NAME]: { 'n.kind': 'DESC', 'n.name': 'ASC', 'n.id': 'ASC' },
  [NodeOrder.PV_ASC]: { 'n.pv': 'ASC', 'n.createdAt': 'DESC', 'n.id': 'ASC' },
  [NodeOrder.PV_DESC]: { 'n.pv': 'DESC', 'n.createdAt': 'DESC', 'n.id': 'ASC' },
};

/** A user's tree of files and folders. Every method checks that the caller owns what it touches. */
export class NodeService {
  private readonly deletionListeners: NodeDeletionListener[] = [];
  private readonly changeListeners: FileChangeListener[] = [];

  constructor(
    private readonly blobs: BlobService,
    private readonly quota: QuotaService,
  ) {}

  onDeletion(listener: NodeDeletionListener): void {
    this.deletionListeners.push(listener);
  }

  onFileChange(listener: FileChangeListener): void {
    this.changeListeners.push(listener);
  }

  /** The caller's node with this id and its blob; NOT_FOUND for anyone else's. */
  async findOwnedNodeOrThrow(context: RequestContext, caller: Caller, id: string): Promise<Node> {
    const node = await context.manager.findOne(Node, {
      where: { id, ownerId: caller.userId },
      relations: { blob: true },
    });
    if (!node) throw notFound('File');
    return node;
  }

  /** Any user's file by id, for links whose signature already proves the right to it. */
  findFile(context: RequestContext, id: string): Promise<Node | null> {
    if (!UUID.test(id)) return Promise.resolve(null);
    return context.manager.findOne(Node, { where: { id, kind: NodeKind.FILE }, relations: { blob: true } });
  }

  /** A file by content and name, as spec 001 names files; null when the caller has none such. */
  async findFileByContent(
    context: RequestContext,
    caller: Caller,
    md5: string,
    name: string,
    folder: string = ROOT,
  ): Promise<Node | null> {
    return context.manager
      .createQueryBuilder(Node, 'n')
      .innerJoinAndSelect('n.blob', 'b')
      .where('n.owner_id = :owner AND n.dir = :dir AND n.name = :name AND b.md5 = :md5', {
        owner: caller.userId,
        dir: toDir(folder),
        name,
        md5: md5.toLowerCase(),
      })
      .getOne();
  }

  async list(context: RequestContext, caller: Caller, request: NodeListRequest): Promise<NodePage> {
    const dir = toDir(request.folder);
    const query = context.manager
      .createQueryBuilder(Node, 'n')
      .leftJoinAndSelect('n.blob', 'b')
      .where('n.owner_id = :owner', { owner: caller.userId });
    if (request.recursive) {
      if (dir !== ROOT) query.andWhere('starts_with(n.dir, :dir)', { dir });
    } else {
      query.andWhere('n.dir = :dir', { dir });
    }
    if (request.kind) query.andWhere('n.kind = :kind', { kind: request.kind });
    const [nodes, totalCount] = await query
      .orderBy(ORDER[request.orderBy])
      .offset(request.offset)
      .limit(request.limit)
      .getManyAndCount();
    return { totalCount, nodes };
  }

  /** Creates the folder and any missing parents; an existing folder is returned as it is. */
  async createFolder(context: RequestContext, caller: Caller, path: string): Promise<Node> {
    const dir = toDir(path);
    if (dir === ROOT) throw badInput('The root folder always exists');
    return transactional(context, async (tx) => {
      await this.ensureFolder(tx, caller.userId, dir);
      const [parent, name] = ancestorsOf(dir).at(-1)!;
      return tx.manager.findOneByOrFail(Node, { ownerId: caller.userId, dir: parent, name });
    });
  }

  /**
   * Makes sure every folder of `dir` exists (mkdir -p); a file in the way is NAME_TAKEN. Each folder
   * stays key-share locked until commit, top-down like a delete's or move's own locks: a concurrent
   * delete or move of one of them either waits for this transaction, and then sees what it put there,
   * or finishes first, and the folder is made again.
   */
  async ensureFolder(context: RequestContext, ownerId: string, dir: string): Promise<void> {
    for (const [parent, name] of ancestorsOf(dir)) {
      for (;;) {
        await context.manager.query(
          `INSERT INTO nodes (owner_id, kind, dir, name) VALUES ($1, 'folder', $2, $3)
           ON CONFLICT (owner_id, dir, name) DO NOTHING`,
          [ownerId, parent, name],
        );
        const [existing] = await context.manager.query<{ kind: NodeKind }[]>(
          `SELECT kind FROM nodes WHERE owner_id = $1 AND dir = $2 AND name = $3 FOR KEY SHARE`,
          [ownerId, parent, name],
        );
        if (!existing) continue; // deleted or moved away while we waited for its lock
        if (existing.kind !== NodeKind.FOLDER) {
          throw new AppError(ErrorCode.NAME_TAKEN, `A file named "${name}" is in the way of that folder`);
        }
        break;
      }
    }
  }

  /**
   * Inserts a file node holding one (already counted) reference to `blobId`, settling a name
   * collision by `policy`. A file with the same name and content already there is returned as it is,
   * and the extra reference released. QUOTA_EXCEEDED, and nothing changed, when the account would
   * then hold more than its quota. The caller's transaction holds `QuotaService.lockUsage`.
   */
  async placeFile(
    context: RequestContext,
    ownerId: string,
    folder: string,
    requestedName: string,
    blobId: string,
    policy: ConflictPolicy,
  ): Promise<Node> {
    const dir = toDir(folder);
    const name = validateName(requestedName);
    return transactional(context, async (tx) => {
      const placed = await this.insertFile(tx, ownerId, dir, name, blobId, policy);
      await this.quota.assertWithinQuota(tx, ownerId);
      return placed;
    });
  }

  private async insertFile(
    tx: RequestContext,
    ownerId: string,
    dir: string,
    name: string,
    blobId: string,
    policy: ConflictPolicy,
  ): Promise<Node> {
    await this.ensureFolder(tx, ownerId, dir);
    // A concurrent upload may take the name between our look and our insert; the insert then waits
    // for it, does nothing, and we settle the collision again against what it committed.
    for (;;) {
      const existing = await tx.manager.findOne(Node, {
        where: { ownerId, dir, name },
        lock: { mode: 'pessimistic_write' },
      });
      if (existing?.blobId === blobId) {
        await this.blobs.releaseReferences(tx, [blobId]);
        return this.reload(tx, existing.id);
      }
      if (existing && policy === ConflictPolicy.REPLACE && existing.kind === NodeKind.FILE) {
        await tx.manager.update(Node, { id: existing.id }, { blobId, updatedAt: new Date() });
        await this.blobs.releaseReferences(tx, [existing.blobId!]);
        for (const listener of this.changeListeners) await listener(tx, [existing.id]);
        return this.reload(tx, existing.id);
      }
      if (existing && policy !== ConflictPolicy.RENAME) {
        throw new AppError(ErrorCode.NAME_TAKEN, `"${name}" already exists in ${dir}`);
      }
      const freeName = existing ? await this.freeName(tx, ownerId, dir, name) : name;
      const [inserted] = await tx.manager.query<{ id: string }[]>(
        `INSERT INTO nodes (owner_id, kind, dir, name, blob_id) VALUES ($1, 'file', $2, $3, $4)
         ON CONFLICT (owner_id, dir, name) DO NOTHING RETURNING id`,
        [ownerId, dir, freeName, blobId],
      );
      if (inserted) return this.reload(tx, inserted.id);
    }
  }

  async rename(
    context: RequestContext,
    caller: Caller,
    id: string,
    newName: string,
    policy: ConflictPolicy,
  ): Promise<Node> {
    const name = validateName(newName);
    return transactional(context, async (tx) => {
      const node = await this.lockOwned(tx, caller, id);
      return this.relocate(tx, node, node.dir, name, policy);
    });
  }

  async move(
    context: RequestContext,
    caller: Caller,
    id: string,
    folder: string,
    policy: ConflictPolicy,
  ): Promise<Node> {
    const dir = toDir(folder);
    return transactional(context, async (tx) => {
      const node = await this.lockOwned(tx, caller, id);
      if (node.kind === NodeKind.FOLDER && dir.startsWith(childDirOf(node.dir, node.name))) {
        throw badInput('A folder cannot be moved into itself');
      }
      await this.ensureFolder(tx, caller.userId, dir);
      return this.relocate(tx, node, dir, node.name, policy);
    });
  }

  /** Deletes a file, or a folder with everything in it, releasing their blobs. */
  async delete(context: RequestContext, caller: Caller, id: string): Promise<void> {
    await transactional(context, async (tx) => this.removeTree(tx, await this.lockOwned(tx, caller, id)));
  }

  /** Counts one private download by the owner (spec 001 `dealfile?cmd=pv`); the file as counted. */
  async recordDownload(context: RequestContext, caller: Caller, id: string): Promise<Node> {
    return transactional(context, async (tx) => {
      const [row] = await returningRows<{ id: string }>(
        tx.manager,
        `UPDATE nodes SET pv = pv + 1 WHERE id = $1 AND owner_id = $2 AND kind = 'file' RETURNING id`,
        [id, caller.userId],
      );
      if (!row) throw notFound('File');
      // The row stays locked until commit, so no concurrent count can slip in before this read.
      return this.reload(tx, row.id);
    });
  }

  /**
   * Locks the caller's node for a change of its tree, after the account's usage (QuotaService): a
   * delete, or a rename that replaces a file, changes what the account holds.
   */
  private async lockOwned(context: RequestContext, caller: Caller, id: string): Promise<Node> {
    await this.quota.lockUsage(context, caller.userId);
    const node = await context.manager.findOne(Node, {
      where: { id, ownerId: caller.userId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!node) throw notFound('File');
    return node;
  }

  private async relocate(
    context: RequestContext,
    node: Node,
    dir: string,
    requestedName: string,
    policy: ConflictPolicy,
  ): Promise<Node> {
    if (node.dir === dir && node.name === requestedName) return this.reload(context, node.id);
    const occupant = await context.manager.findOne(Node, {
      where: { ownerId: node.ownerId, dir, name: requestedName },
      lock: { mode: 'pessimistic_write' },
    });
    let name = requestedName;
    if (occupant) {
      if (policy === ConflictPolicy.RENAME) {
        name = await this.freeName(context, node.ownerId, dir, requestedName);
      } else if (
        policy === ConflictPolicy.REPLACE &&
        occupant.kind === NodeKind.FILE &&
        node.kind === NodeKind.FILE
      ) {
        await this.removeTree(context, occupant);
      } else {
        throw new AppError(ErrorCode.NAME_TAKEN, `"${requestedName}" already exists in ${dir}`);
      }
    }
    const oldChildren = childDirOf(node.dir, node.name);
    if (node.kind === NodeKind.FOLDER) await this.assertSubtreeFits(context, node, childDirOf(dir, name));
    try {
      await context.manager.update(Node, { id: node.id }, { dir, name, updatedAt: new Date() });
    } catch (error) {
      if (violatedUniqueConstraint(error) === 'nodes_path_key') {
        throw new AppError(ErrorCode.NAME_TAKEN, `"${name}" already exists in ${dir}`);
      }
      throw error;
    }
    if (node.kind === NodeKind.FILE && name !== node.name) {
      for (const listener of this.changeListeners) await listener(context, [node.id]);
    }
    if (node.kind === NodeKind.FOLDER) {
      const newChildren = childDirOf(dir, name);
      await context.manager.query(
        `UPDATE nodes SET dir = $3 || substr(dir, char_length($2) + 1)
          WHERE owner_id = $1 AND starts_with(dir, $2)`,
        [node.ownerId, oldChildren, newChildren],
      );
    }
    return this.reload(context, node.id);
  }

  /** Deletes a locked node and, for a folder, everything below it, inside the caller's transaction. */
  private async removeTree(context: RequestContext, node: Node): Promise<void> {
    const children = childDirOf(node.dir, node.name);
    const descendants =
      node.kind === NodeKind.FOLDER
        ? await context.manager.query<{ id: string }[]>(
            `SELECT id FROM nodes WHERE owner_id = $1 AND starts_with(dir, $2) FOR UPDATE`,
            [node.ownerId, children],
          )
        : [];
    const ids = [node.id, ...descendants.map((row) => row.id)];
    for (const listener of this.deletionListeners) await listener(context, ids);
    const deleted = await returningRows<{ blob_id: string | null }>(
      context.manager,
      `DELETE FROM nodes WHERE id = ANY($1::uuid[]) RETURNING blob_id`,
      [ids],
    );
    await this.blobs.releaseReferences(
      context,
      deleted.flatMap((row) => (row.blob_id ? [row.blob_id] : [])),
    );
  }

  /**
   * Refuses to move or rename a folder when a path inside it would grow past MAX_DIR_BYTES: every
   * descendant's `dir` starts with the folder's own, and grows with it.
   */
  private async assertSubtreeFits(context: RequestContext, folder: Node, newChildren: string): Promise<void> {
    const oldChildren = childDirOf(folder.dir, folder.name);
    const growth = Buffer.byteLength(newChildren) - Buffer.byteLength(oldChildren);
    if (growth <= 0) return;
    const [{ longest }] = await context.manager.query<{ longest: number }[]>(
      `SELECT coalesce(max(octet_length(dir)), 0)::int AS longest FROM nodes
        WHERE owner_id = $1 AND starts_with(dir, $2)`,
      [folder.ownerId, oldChildren],
    );
    if (longest > 0 && longest + growth > MAX_DIR_BYTES) {
      throw badInput(`A folder path inside it would be longer than ${MAX_DIR_BYTES} bytes`);
    }
  }

  /** The first `name (n).ext` not taken in `dir`, looked up a batch of candidates at a time. */
  private async freeName(
    context: RequestContext,
    ownerId: string,
    dir: string,
    name: string,
  ): Promise<string> {
    for (let first = 1; ; first += FREE_NAME_BATCH) {
      const candidates = Array.from({ length: FREE_NAME_BATCH }, (_, index) =>
        numberedName(name, first + index),
      );
      const taken = new Set(
        (
          await context.manager.query<{ name: string }[]>(
            `SELECT name FROM nodes WHERE owner_id = $1 AND dir = $2 AND name = ANY($3::text[])`,
            [ownerId, dir, candidates],
          )
        ).map((row) => row.name),
      );
      const free = candidates.find((candidate) => !taken.has(candidate));
      if (free) return free;
    }
  }

  private reload(context: RequestContext, id: string): Promise<Node> {
    return context.manager.findOneOrFail(Node, { where: { id }, relations: { blob: true } });
  }
}
