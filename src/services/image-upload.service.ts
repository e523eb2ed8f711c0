import { isUUID } from 'class-validator';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AppError, notFound } from '../app-error';
import type { AttemptLimiter } from '../cache/attempt-limiter';
import type { Caller, RequestContext } from '../context';
import { runPrepared } from '../db/prepared';
import { ANONYMOUS_UPLOADER_ID } from '../db/migrations/1733000000000-image-uploads';
import { transactional } from '../db/transaction';
import { ErrorCode } from '../schema/error-code';
import type { BlobService } from './blob.service';
import { sha256Hex } from './credentials';
import { ConflictPolicy, type DriveService } from './drive.service';
import { endsAsImage, imageExtensionOf, typeOfExtension } from './image-format';
import { ingest, type IngestedContent } from './ingest';
import { listPage, newestFirst, type Listing, type PageRequest } from './pagination';
import { nameProblem } from './paths';
import type { QuotaService } from './quota.service';
import { findServableFile, servableFileStatement, type ServableFile } from './servable-file';

const UPLOADED_IMAGE = servableFileStatement(
  'FROM image_uploads iu JOIN nodes n ON n.id = iu.node_id',
  'iu.path = $1',
);

/** The folder of each account that image uploads go into. */
export const IMAGE_FOLDER = '/sm.ms';

/** How far back "the uploads of this address" reach (sm.ms v1 `list`, v2 `history`). */
const HISTORY_HOURS = 1;
const HISTORY_LIMIT = 100;

export interface ImageUploadSettings {
  /** SM_ANONYMOUS: whether an upload without a token is taken. */
  anonymous: boolean;
  /** SM_MAX_BYTES. */
  maxBytes: number;
  /** SM_MAX_PIXELS: more pixels than this (width × height) and the image is refused unread. */
  maxPixels: number;
}

export interface ImageUploadLimiters {
  /** Uploads per client address a minute (`Upload file frequency limit.`). */
  perMinute: AttemptLimiter;
  /** Uploads per client address a day (`Upload file count limit.`). */
  perDay: AttemptLimiter;
}

/** An image upload as the sm.ms doors show it. */
export interface ImageUploadView {
  id: string;
  fileId: string;
  ownerId: string;
  filename: string;
  storename: string;
  /** `/<yyyy>/<mm>/<dd>/<storename>`; the public URL is `/i` and this. */
  path: string;
  size: number;
  width: number;
  height: number;
  contentType: string;
  createdAt: Date;
  /** Whoever holds it may delete the image: shown only to its uploader. */
  deleteToken: string;
}

/** What an upload did: a new image, or one its owner already had (nothing new is stored). */
export interface ImageUploadOutcome {
  upload: ImageUploadView;
  repeated: boolean;
}

interface ImageUploadRow {
  id: string;
  node_id: string;
  owner_id: string;
  filename: string;
  path: string;
  created_at: Date;
  size: string;
  width: number;
  height: number;
  content_type: string;
}

const COLUMNS = `iu.id, iu.node_id, iu.owner_id, iu.filename, iu.path, iu.created_at, b.size, b.width, b.height,
  b.content_type`;
const FROM = `FROM image_uploads iu JOIN nodes n ON n.id = iu.node_id JOIN blobs b ON b.id = n.blob_id`;

const NEWEST_FIRST = newestFirst('image-uploads:newest', 'iu');

/** A public path is what `newPath` makes, and nothing else reaches SQL. */
const PATH = /^\/\d{4}\/\d\d\/\d\d\/[0-9a-f]{16}\.[a-z]{3,4}$/;
const DELETE_TOKEN = /^[\w-]{24}$/;

const storenameOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

function newPath(extension: string, now: Date): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
  return `/${day}/${randomBytes(8).toString('hex')}.${extension}`;
}

/**
 * Images uploaded through the sm.ms doors: only real images (their bytes say which type, and the name
 * must agree), each at a permanent public path until deleted, with a delete token for whoever uploaded
 * it. Uploads with a token join that account's files; without one, the anonymous account's. The bytes
 * are stored once however often they come, like every other upload.
 */
export class ImageUploadService {
  constructor(
    private readonly blobs: BlobService,
    private readonly drive: DriveService,
    private readonly quota: QuotaService,
    private readonly limiters: ImageUploadLimiters,
    private readonly settings: ImageUploadSettings,
    private readonly secret: string,
  ) {}

  get anonymousAllowed(): boolean {
    return this.settings.anonymous;
  }

  /**
   * Stores the image. Errors carry the sm.ms wording: UNAUTHENTICATED (no token while anonymous
   * uploads are off), RATE_LIMITED (frequency or daily count), UNSUPPORTED_TYPE (not an accepted image,
   * or a name that disagrees with its bytes), BAD_USER_INPUT (empty), PAYLOAD_TOO_LARGE (bytes or pixels).
   */
  async upload(
    context: RequestContext,
    uploader: Caller | null,
    source: Readable,
    filename: string,
  ): Promise<ImageUploadOutcome> {
    const refuse = (error: AppError): never => {
      source.resume();
      throw error;
    };
    if (!uploader && (context.refusedToken || !this.settings.anonymous)) {
      refuse(new AppError(ErrorCode.UNAUTHENTICATED, 'Access Denied.'));
    }
    const extension = imageExtensionOf(filename);
    if (!extension) refuse(invalidExtension());
    const client = sha256Hex(context.ip ?? '');
    if (!(await this.limiters.perMinute.take(client))) {
      refuse(new AppError(ErrorCode.RATE_LIMITED, 'Upload file frequency limit.'));
    }
    if (!(await this.limiters.perDay.take(client))) {
      refuse(new AppError(ErrorCode.RATE_LIMITED, 'Upload file count limit.'));
    }
    const ownerId = uploader?.userId ?? ANONYMOUS_UPLOADER_ID;
    const content = await this.ingestImage(context, source, ownerId, extension!);
    try {
      return await transactional(context, async (tx) => {
        if (uploader) {
          const had = await this.ownUploadOf(tx, ownerId, content.sha256);
          if (had) {
            await this.blobs.store.delete(content.temporaryKey);
            return { upload: had, repeated: true };
          }
        }
        await this.quota.lockUsage(tx, ownerId);
        const blobId = await this.blobs.addReference(tx, content);
        const path = newPath(extension!, new Date());
        const file = await this.drive.placeFile(
          tx,
          ownerId,
          IMAGE_FOLDER,
          nameProblem(filename) ? storenameOf(path) : filename,
          blobId,
          ConflictPolicy.RENAME,
        );
        // The delete token is derived from the id, so that a history list can show it again.
        const id = randomUUID();
        await tx.manager.query(
          `INSERT INTO image_uploads (id, node_id, owner_id, path, filename, delete_hash, client_ip, api_token_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            id,
            file.id,
            ownerId,
            path,
            filename.slice(0, 255),
            sha256Hex(this.deleteTokenOf(id)),
            context.ip,
            uploader?.apiTokenId ?? null,
          ],
        );
        return { upload: (await this.findById(tx, id))!, repeated: false };
      });
    } catch (error) {
      await this.blobs.store.delete(content.temporaryKey);
      throw error;
    }
  }

  /** Deletes the image whose delete token this is, with its file; NOT_FOUND for any other string. */
  async deleteByToken(context: RequestContext, token: string): Promise<ImageUploadView> {
    if (!DELETE_TOKEN.test(token)) throw notFound('Image');
    return transactional(context, async (tx) => {
      const [row] = await tx.manager.query<ImageUploadRow[]>(
        `SELECT ${COLUMNS} ${FROM} WHERE iu.delete_hash = $1 FOR UPDATE OF iu`,
        [sha256Hex(token)],
      );
      if (!row) throw notFound('Image');
      // The token is the permission: the image goes as its owner would delete it.
      await this.drive.delete(tx, { userId: row.owner_id }, row.node_id);
      return this.toView(row);
    });
  }

  /** This client address's uploads of the last hour that it has not cleared, newest first. */
  async recentFromAddress(context: RequestContext): Promise<ImageUploadView[]> {
    if (!context.ip) return [];
    const rows = await runPrepared<ImageUploadRow>(
      context.manager,
      `SELECT ${COLUMNS} ${FROM}
        WHERE iu.client_ip = $1 AND iu.created_at > now() - make_interval(hours => $2)
          AND iu.history_cleared_at IS NULL
        ORDER BY iu.created_at DESC LIMIT ${HISTORY_LIMIT}`,
      [context.ip, HISTORY_HOURS],
    );
    return rows.map((row) => this.toView(row));
  }

  /** Empties this address's history list; the images stay. */
  async clearAddressHistory(context: RequestContext): Promise<void> {
    if (!context.ip) return;
    await context.manager.query(
      `UPDATE image_uploads SET history_cleared_at = now() WHERE client_ip = $1 AND history_cleared_at IS NULL`,
      [context.ip],
    );
  }

  /**
   * The caller's image uploads, newest first: an API token's own uploads when the caller is one (an
   * UPLOAD token sees what it uploaded, nothing else), else all of the account's.
   */
  async listMine(
    context: RequestContext,
    caller: Caller,
    request: PageRequest,
  ): Promise<Listing<ImageUploadView>> {
    const [column, owner] = caller.apiTokenId
      ? ['api_token_id', caller.apiTokenId]
      : ['owner_id', caller.userId];
    return listPage(
      context,
      {
        ordering: NEWEST_FIRST,
        columns: COLUMNS,
        from: FROM,
        countFrom: 'FROM image_uploads iu',
        where: `iu.${column} = $1`,
        parameters: [owner],
      },
      request,
      (row: ImageUploadRow) => this.toView(row),
    );
  }

  /** One of the caller's image uploads by id; null when there is none such. */
  async findMine(context: RequestContext, caller: Caller, id: string): Promise<ImageUploadView | null> {
    if (!isUUID(id)) return null;
    const [row] = await runPrepared<ImageUploadRow>(
      context.manager,
      `SELECT ${COLUMNS} ${FROM} WHERE iu.id = $1 AND iu.owner_id = $2`,
      [id, caller.userId],
    );
    return row ? this.toView(row) : null;
  }

  /** The file behind a public image path, for serving; null when there is none. */
  servableFile(context: RequestContext, path: string): Promise<ServableFile | null> {
    if (!PATH.test(path)) return Promise.resolve(null);
    return findServableFile(context, UPLOADED_IMAGE, path);
  }

  private async ingestImage(
    context: RequestContext,
    source: Readable,
    ownerId: string,
    extension: string,
  ): Promise<IngestedContent> {
    let content: IngestedContent;
    try {
      content = await ingest(this.blobs.store, source, {
        maxBytes: this.settings.maxBytes,
        remainingQuotaBytes: await this.quota.remainingBytes(context, ownerId),
      });
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.PAYLOAD_TOO_LARGE) {
        throw new AppError(ErrorCode.PAYLOAD_TOO_LARGE, 'File is too large.');
      }
      throw error;
    }
    const problem = this.imageProblem(content, extension);
    if (problem) {
      await this.blobs.store.delete(content.temporaryKey);
      throw problem;
    }
    return content;
  }

  private imageProblem(content: IngestedContent, extension: string): AppError | null {
    if (content.size === 0)
      return new AppError(ErrorCode.BAD_USER_INPUT, 'File is empty.', ['input', 'file']);
    if (
      content.contentType !== typeOfExtension(extension) ||
      content.width === null ||
      content.height === null
    ) {
      return invalidExtension();
    }
    // A decompression bomb: a small file that would take gigabytes to show.
    if (content.width * content.height > this.settings.maxPixels) {
      return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, 'File is too large.');
    }
    return endsAsImage(content) ? null : invalidExtension();
  }

  private async ownUploadOf(
    context: RequestContext,
    ownerId: string,
    sha256: string,
  ): Promise<ImageUploadView | null> {
    const [row] = await runPrepared<ImageUploadRow>(
      context.manager,
      `SELECT ${COLUMNS} ${FROM} WHERE iu.owner_id = $1 AND b.sha256 = $2 ORDER BY iu.created_at LIMIT 1`,
      [ownerId, sha256],
    );
    return row ? this.toView(row) : null;
  }

  private async findById(context: RequestContext, id: string): Promise<ImageUploadView | null> {
    const [row] = await runPrepared<ImageUploadRow>(
      context.manager,
      `SELECT ${COLUMNS} ${FROM} WHERE iu.id = $1`,
      [id],
    );
    return row ? this.toView(row) : null;
  }

  private deleteTokenOf(id: string): string {
    return createHmac('sha256', this.secret)
      .update(`image delete token\n${id}`)
      .digest('base64url')
      .slice(0, 24);
  }

  private toView(row: ImageUploadRow): ImageUploadView {
    return {
      id: row.id,
      fileId: row.node_id,
      ownerId: row.owner_id,
      filename: row.filename,
      storename: storenameOf(row.path),
      path: row.path,
      size: Number(row.size),
      width: row.width,
      height: row.height,
      contentType: row.content_type,
      createdAt: row.created_at,
      deleteToken: this.deleteTokenOf(row.id),
    };
  }
}

const invalidExtension = () => new AppError(ErrorCode.UNSUPPORTED_TYPE, 'File has an invalid extension.');
