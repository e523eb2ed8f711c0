import type { Caller, RequestContext } from '../context';
import { AppError, badInput, notFound } from '../app-error';
import { violatedUniqueConstraint } from '../db/errors';
import { DRIVE_ITEM_COLUMNS, driveItemOf, type DriveItemRow } from '../db/drive-item-rows';
import { returningRows } from '../db/returning';
import { SqlParameters } from '../db/sql-parameters';
import { transactional } from '../db/transaction';
import { DriveItem, DriveItemKind } from '../entities/drive-item.entity';
import { ErrorCode } from '../schema/error-code';
import type { BlobService } from './blob.service';
import {
  ancestorsOf,
  childDirOf,
  itemDir,
  MAX_DIR_BYTES,
  numberedName,
  ROOT,
  toDir,
  validateName,
} from './paths';
import {
  given,
  pageQuery,
  type Listing,
  type OrderDirection,
  type Ordering,
  type PageRequest,
  type SortKey,
} from './pagination';
import type { QuotaService } from './quota.service';
import type { CountLimiter } from './count-limiter';
import { runPrepared } from '../db/prepared';
import { findServableFile, servableFileStatement, type ServableFile } from './servable-file';

const OWN_FILE = servableFileStatement('FROM nodes n', 'n.id = $1');

export enum ConflictPolicy {
  /** Keep both: the newcomer becomes `name (1).ext`. */
  RENAME = 'RENAME',
  /** A file takes the place of the file already there (never of a folder). */
  REPLACE = 'REPLACE',
  FAIL = 'FAIL',
}

export enum DriveItemOrderField {
  CREATED_AT = 'CREATED_AT',
  UPDATED_AT = 'UPDATED_AT',
  NAME = 'NAME',
  SIZE = 'SIZE',
  DOWNLOADS = 'DOWNLOADS',
}

export interface DriveItemOrder {
  field: DriveItemOrderField;
  direction: OrderDirection;
}

export interface DriveListRequest {
  folder: string;
  /** Include everything below `folder`, not only its direct children. */
  recursive: boolean;
  kind?: DriveItemKind;
  /** A substring of the name, in any letter case. */
  nameContains?: string | null;
  /** The extension, with or without its dot, in any letter case: `png` and `.png` find `a.PNG`. */
  extension?: string | null;
  /** The start of the content type, such as `image/`; folders have none. */
  contentTypePrefix?: string | null;
  /** Only files that are (or are not) publicly shared. */
  shared?: boolean | null;
  orderBy: DriveItemOrder;
  page: PageRequest;
}

/** The SQL each order field sorts by; ties go by id, the same way. */
const ORDER_EXPRESSIONS: Record<DriveItemOrderField, Pick<SortKey, 'expression' | 'type'>> = {
  [DriveItemOrderField.CREATED_AT]: { expression: 'n.created_at', type: 'timestamptz' },
  [DriveItemOrderField.UPDATED_AT]: { expression: 'n.updated_at', type: 'timestamptz' },
  [DriveItemOrderField.NAME]: { expression: 'n.name', type: 'text' },
  [DriveItemOrderField.SIZE]: { expression: 'coalesce(b.size, 0)', type: 'bigint' },
  [DriveItemOrderField.DOWNLOADS]: { expression: 'n.pv', type: 'int' },
};

function orderingOf({ field, direction }: DriveItemOrder): Ordering {
  return {
    name: `drive:${field}:${direction}`,
    keys: [
      { ...ORDER_EXPRESSIONS[field], direction },
      { expression: 'n.id', type: 'uuid', direction },
    ],
  };
}

/** Runs inside the transaction that deletes nodes, before they go (shares, rankings). */
export type ItemDeletionListener = (context: RequestContext, nodeIds: string[]) => Promise<void>;

/** Runs inside the transaction that renamed files or replaced their content (shares follow them). */
export type FileChangeListener = (context: RequestContext, nodeIds: string[]) => Promise<void>;

/** What became of one item of a batch: its result, or the failure the user may act on. */
export type ItemOutcome<Result> = { id: string; result: Result } | { id: string; error: AppError };

/** A count asked for, and whether this call added to it (CountLimiter). */
export interface CountedItem {
  item: DriveItem;
  counted: boolean;
}

/** `text` matched literally inside a LIKE pattern (backslash is the default escape character). */
const likeEscaped = (text: string) => text.replace(/[\\%_]/g, (special) => `\\${special}`);

/** Runs `work` for each id in turn; a failure the user caused is that item's outcome, not the batch's. */
async function eachItem<Result>(
  ids: string[],
  work: (id: string) => Promise<Result>,
): Promise<ItemOutcome<Result>[]> {
  const outcomes: ItemOutcome<Result>[] = [];
  for (const id of ids) {
    try {
      outcomes.push({ id, result: await work(id) });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      outcomes.push({ id, error });
    }
  }
  return outcomes;
}

/** How many `name (n)` candidates one query checks. */
const FREE_NAME_BATCH = 32;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A user's tree of files and folders. Every method checks that the caller owns what it touches. */
export class DriveService {
  private readonly deletionListeners: ItemDeletionListener[] = [];
  private readonly changeListeners: FileChangeListener[] = [];

  constructor(
    private readonly blobs: BlobService,
    private readonly quota: QuotaService,
    private readonly counts: CountLimiter,
  ) {}

  onDeletion(listener: ItemDeletionListener): void {
    this.deletionListeners.push(listener);
  }

  onFileChange(listener: FileChangeListener): void {
    this.changeListeners.push(listener);
  }

  /** The caller's file or folder with this id, and its blob; null for anyone else's. */
  async findOwned(context: RequestContext, caller: Caller, id: string): Promise<DriveItem | null> {
    if (!UUID.test(id)) return null;
    return context.manager.findOne(DriveItem, {
      where: { id, ownerId: caller.userId },
      relations: { blob: true },
    });
  }

  /** The caller's file or folder at `path` (such as `/photos/cat.png`); null when there is none. */
  async findByPath(context: RequestContext, caller: Caller, path: string): Promise<DriveItem | null> {
    const dir = itemDir(path);
    if (dir === ROOT) return null;
    const [parent, name] = ancestorsOf(dir).at(-1)!;
    return context.manager.findOne(DriveItem, {
      where: { ownerId: caller.userId, dir: parent, name },
      relations: { blob: true },
    });
  }

  /** As `findOwned`, but NOT_FOUND for anyone else's. */
  async findOwnedOrThrow(context: RequestContext, caller: Caller, id: string): Promise<DriveItem> {
    const item = await this.findOwned(context, caller, id);
    if (!item) throw notFound('File');
    return item;
  }

  /** How many files the caller has, in every folder. */
  async countFiles(context: RequestContext, caller: Caller): Promise<number> {
    const [{ count }] = await runPrepared<{ count: number }>(
      context.manager,
      `SELECT count(*)::int AS count FROM nodes WHERE owner_id = $1 AND kind = 'file'`,
      [caller.userId],
    );
    return count;
  }

  /** Any user's file by id, for links whose signature already proves the right to it. */
  findFile(context: RequestContext, id: string): Promise<DriveItem | null> {
    if (!UUID.test(id)) return Promise.resolve(null);
    return context.manager.findOne(DriveItem, {
      where: { id, kind: DriveItemKind.FILE },
      relations: { blob: true },
    });
  }

  /** The same for serving its bytes: one prepared statement, for the signed URLs downloads use. */
  servableFile(context: RequestContext, id: string): Promise<ServableFile | null> {
    if (!UUID.test(id)) return Promise.resolve(null);
    return findServableFile(context, OWN_FILE, id);
  }

  /** A file by content and name, as spec 001 names files; null when the caller has none such. */
  async findFileByContent(
    context: RequestContext,
    caller: Caller,
    md5: string,
    name: string,
    folder: string = ROOT,
  ): Promise<DriveItem | null> {
    return context.manager
      .createQueryBuilder(DriveItem, 'n')
      .innerJoinAndSelect('n.blob', 'b')
      .where('n.owner_id = :owner AND n.dir = :dir AND n.name = :name AND b.md5 = :md5', {
        owner: caller.userId,
        dir: toDir(folder),
        name,
        md5: md5.toLowerCase(),
      })
      .getOne();
  }

  /** A page of the caller's files or folders, in a keyset order; the count only when asked for. */
  async list(
    context: RequestContext,
    caller: Caller,
    request: DriveListRequest,
  ): Promise<Listing<DriveItem>> {
    const dir = toDir(request.folder);
    const parameters = new SqlParameters();
    const conditions = [`n.owner_id = ${parameters.add(caller.userId)}`];
    if (request.recursive) {
      if (dir !== ROOT) conditions.push(`starts_with(n.dir, ${parameters.add(dir)})`);
    } else {
      conditions.push(`n.dir = ${parameters.add(dir)}`);
    }
    if (request.kind) conditions.push(`n.kind = ${parameters.add(request.kind)}`);
    // ILIKE patterns, which the trigram index on names serves (a plain scan of the tree otherwise).
    if (request.nameContains) {
      conditions.push(`n.name ILIKE ${parameters.add(`%${likeEscaped(request.nameContains)}%`)}`);
    }
    if (request.extension) {
      const extension = request.extension.replace(/^\./, '');
      conditions.push(`n.name ILIKE ${parameters.add(`%_.${likeEscaped(extension)}`)}`);
    }
    if (request.contentTypePrefix) {
      conditions.push(`starts_with(b.content_type, ${parameters.add(request.contentTypePrefix)})`);
    }
    if (given(request.shared)) {
      conditions.push(
        `${request.shared ? '' : 'NOT '}EXISTS (SELECT 1 FROM shares s WHERE s.node_id = n.id)`,
      );
    }
    const from = `FROM nodes n LEFT JOIN blobs b ON b.id = n.blob_id WHERE ${conditions.join(' AND ')}`;
    const page = pageQuery(orderingOf(request.orderBy), request.page, parameters.next);
    const rows = await runPrepared<DriveItemRow>(
      context.manager,
      `SELECT ${DRIVE_ITEM_COLUMNS}, ${page.keyColumns} ${from}${page.condition}
        ORDER BY ${page.orderBy} LIMIT ${page.limit}`,
      [...parameters.values, ...page.parameters],
    );
    const found = page.finish(rows);
    return {
      ...found,
      items: found.items.map(driveItemOf),
      totalCount: async () => {
        const [{ count }] = await runPrepared<{ count: number }>(
          context.manager,
          `SELECT count(*)::int AS count ${from}`,
          parameters.values,
        );
        return count;
      },
    };
  }

  /** Creates the folder and any missing parents; an existing folder is returned as it is. */
  async createFolder(
    context: RequestContext,
    caller: Caller,
    path: string,
    failIfExists = false,
  ): Promise<DriveItem> {
    const dir = itemDir(path);
    if (dir === ROOT) throw badInput('The root folder always exists');
    return transactional(context, async (tx) => {
      const [parent, name] = ancestorsOf(dir).at(-1)!;
      if (failIfExists && (await this.findByPath(tx, caller, path))) {
        throw new AppError(ErrorCode.NAME_TAKEN, `"${name}" already exists in ${parent}`);
      }
      await this.ensureFolder(tx, caller.userId, dir);
      return tx.manager.findOneByOrFail(DriveItem, { ownerId: caller.userId, dir: parent, name });
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
        const [existing] = await runPrepared<{ kind: DriveItemKind }>(
          context.manager,
          `SELECT kind FROM nodes WHERE owner_id = $1 AND dir = $2 AND name = $3 FOR KEY SHARE`,
          [ownerId, parent, name],
        );
        if (!existing) continue; // deleted or moved away while we waited for its lock
        if (existing.kind !== DriveItemKind.FOLDER) {
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
  ): Promise<DriveItem> {
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
  ): Promise<DriveItem> {
    await this.ensureFolder(tx, ownerId, dir);
    // A concurrent upload may take the name between our look and our insert; the insert then waits
    // for it, does nothing, and we settle the collision again against what it committed.
    for (;;) {
      const existing = await tx.manager.findOne(DriveItem, {
        where: { ownerId, dir, name },
        lock: { mode: 'pessimistic_write' },
      });
      if (existing?.blobId === blobId) {
        await this.blobs.releaseReferences(tx, [blobId]);
        return this.reload(tx, existing.id);
      }
      if (existing && policy === ConflictPolicy.REPLACE && existing.kind === DriveItemKind.FILE) {
        await tx.manager.update(DriveItem, { id: existing.id }, { blobId, updatedAt: new Date() });
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
  ): Promise<DriveItem> {
    const name = validateName(newName);
    return transactional(
      context,
      async (tx) => {
        const node = await this.lockOwned(tx, caller, id);
        return this.relocate(tx, node, node.dir, name, policy);
      },
      'rename',
    );
  }

  async move(
    context: RequestContext,
    caller: Caller,
    id: string,
    folder: string,
    policy: ConflictPolicy,
  ): Promise<DriveItem> {
    const dir = toDir(folder);
    return transactional(
      context,
      async (tx) => {
        const node = await this.lockOwned(tx, caller, id);
        if (node.kind === DriveItemKind.FOLDER && dir.startsWith(childDirOf(node.dir, node.name))) {
          throw badInput('A folder cannot be moved into itself');
        }
        await this.ensureFolder(tx, caller.userId, dir);
        return this.relocate(tx, node, dir, node.name, policy);
      },
      'move',
    );
  }

  /** Deletes a file or a folder with everything in it; of the caller, only the account counts. */
  async delete(context: RequestContext, caller: Pick<Caller, 'userId'>, id: string): Promise<void> {
    await transactional(
      context,
      async (tx) => this.removeTree(tx, await this.lockOwned(tx, caller, id)),
      'delete',
    );
  }

  /** Deletes each item in its own transaction: one that fails leaves the others deleted. */
  deleteEach(context: RequestContext, caller: Caller, ids: string[]): Promise<ItemOutcome<string>[]> {
    return eachItem(ids, async (id) => {
      await this.delete(context, caller, id);
      return id;
    });
  }

  /** Moves each item into `folder` in its own transaction: one that fails leaves the others moved. */
  moveEach(
    context: RequestContext,
    caller: Caller,
    ids: string[],
    folder: string,
    policy: ConflictPolicy,
  ): Promise<ItemOutcome<DriveItem>[]> {
    toDir(folder);
    return eachItem(ids, (id) => this.move(context, caller, id, folder, policy));
  }

  /**
   * Counts one private download by the owner (spec 001 `dealfile?cmd=pv`) and answers the file as
   * counted; past the client's allowance (CountLimiter) it counts nothing.
   */
  async recordDownload(context: RequestContext, caller: Caller, id: string): Promise<CountedItem> {
    if (!UUID.test(id)) throw notFound('File');
    if (!(await this.counts.allows(context, 'file-downloads', id))) {
      const item = await this.findOwned(context, caller, id);
      if (item?.kind !== DriveItemKind.FILE) throw notFound('File');
      return { item, counted: false };
    }
    return transactional(context, async (tx) => {
      const [row] = await returningRows<{ id: string }>(
        tx.manager,
        `UPDATE nodes SET pv = pv + 1 WHERE id = $1 AND owner_id = $2 AND kind = 'file' RETURNING id`,
        [id, caller.userId],
      );
      if (!row) throw notFound('File');
      // The row stays locked until commit, so no concurrent count can slip in before this read.
      return { item: await this.reload(tx, row.id), counted: true };
    });
  }

  /**
   * Locks the caller's node for a change of its tree, after the account's usage (QuotaService): a
   * delete, or a rename that replaces a file, changes what the account holds.
   */
  private async lockOwned(
    context: RequestContext,
    caller: Pick<Caller, 'userId'>,
    id: string,
  ): Promise<DriveItem> {
    if (!UUID.test(id)) throw notFound('File');
    await this.quota.lockUsage(context, caller.userId);
    const node = await context.manager.findOne(DriveItem, {
      where: { id, ownerId: caller.userId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!node) throw notFound('File');
    return node;
  }

  private async relocate(
    context: RequestContext,
    node: DriveItem,
    dir: string,
    requestedName: string,
    policy: ConflictPolicy,
  ): Promise<DriveItem> {
    if (node.dir === dir && node.name === requestedName) return this.reload(context, node.id);
    const occupant = await context.manager.findOne(DriveItem, {
      where: { ownerId: node.ownerId, dir, name: requestedName },
      lock: { mode: 'pessimistic_write' },
    });
    let name = requestedName;
    if (occupant) {
      if (policy === ConflictPolicy.RENAME) {
        name = await this.freeName(context, node.ownerId, dir, requestedName);
      } else if (
        policy === ConflictPolicy.REPLACE &&
        occupant.kind === DriveItemKind.FILE &&
        node.kind === DriveItemKind.FILE
      ) {
        await this.removeTree(context, occupant);
      } else {
        throw new AppError(ErrorCode.NAME_TAKEN, `"${requestedName}" already exists in ${dir}`);
      }
    }
    const oldChildren = childDirOf(node.dir, node.name);
    if (node.kind === DriveItemKind.FOLDER)
      await this.assertSubtreeFits(context, node, childDirOf(dir, name));
    try {
      await context.manager.update(DriveItem, { id: node.id }, { dir, name, updatedAt: new Date() });
    } catch (error) {
      if (violatedUniqueConstraint(error) === 'nodes_path_key') {
        throw new AppError(ErrorCode.NAME_TAKEN, `"${name}" already exists in ${dir}`);
      }
      throw error;
    }
    if (node.kind === DriveItemKind.FILE && name !== node.name) {
      for (const listener of this.changeListeners) await listener(context, [node.id]);
    }
    if (node.kind === DriveItemKind.FOLDER) {
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
  private async removeTree(context: RequestContext, node: DriveItem): Promise<void> {
    const children = childDirOf(node.dir, node.name);
    const descendants =
      node.kind === DriveItemKind.FOLDER
        ? await runPrepared<{ id: string }>(
            context.manager,
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
  private async assertSubtreeFits(
    context: RequestContext,
    folder: DriveItem,
    newChildren: string,
  ): Promise<void> {
    const oldChildren = childDirOf(folder.dir, folder.name);
    const growth = Buffer.byteLength(newChildren) - Buffer.byteLength(oldChildren);
    if (growth <= 0) return;
    const [{ longest }] = await runPrepared<{ longest: number }>(
      context.manager,
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
          await runPrepared<{ name: string }>(
            context.manager,
            `SELECT name FROM nodes WHERE owner_id = $1 AND dir = $2 AND name = ANY($3::text[])`,
            [ownerId, dir, candidates],
          )
        ).map((row) => row.name),
      );
      const free = candidates.find((candidate) => !taken.has(candidate));
      if (free) return free;
    }
  }

  private reload(context: RequestContext, id: string): Promise<DriveItem> {
    return context.manager.findOneOrFail(DriveItem, { where: { id }, relations: { blob: true } });
  }
}
