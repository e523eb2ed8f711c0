import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { AppError, notFound } from '../app-error';
import type { Caller, RequestContext } from '../context';
import { transactional } from '../db/transaction';
import { DriveItemKind, type DriveItem } from '../entities/drive-item.entity';
import { ErrorCode } from '../schema/error-code';
import type { BlobService } from './blob.service';
import { ConflictPolicy, type DriveService } from './drive.service';
import { toDir } from './paths';
import type { QuotaService } from './quota.service';
import type { TokenSigner } from './signed-tokens';

/** How long a direct link works unless asked otherwise (Netdisk `time`: 15 minutes). */
export const DEFAULT_LINK_SECONDS = 15 * 60;
/** The longest a link may live: "for ever" is written as a few hundred years (spec 003). */
export const MAX_LINK_SECONDS = 1000 * 365 * 24 * 60 * 60;
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const RANDOM_KEY_LENGTH = 6;

export enum DirectLinkStatus {
  OPEN = 'OPEN',
  EXPIRED = 'EXPIRED',
  KEY_REQUIRED = 'KEY_REQUIRED',
  KEY_INVALID = 'KEY_INVALID',
  FILE_GONE = 'FILE_GONE',
}

export interface DirectLinkView {
  token: string;
  expiresAt: Date;
  /** The key, only to whoever made the link, when they made it. */
  key: string | null;
  status: DirectLinkStatus;
  /** The file, only while the link is open. */
  file: DriveItem | null;
}

export interface DirectLinkRequest {
  lifetimeSeconds: number;
  /** The key the link will ask for; with none and `randomKey`, six random letters and digits. */
  key?: string | null;
  randomKey?: boolean;
}

/**
 * Direct links (Netdisk `shareFile`): signed tokens that name a file, an expiry and, optionally, a key,
 * so nothing is stored and nothing can be altered: another file, a longer life or another key would
 * break the signature. The key travels only as an HMAC, so the link alone does not reveal it. A link
 * dies with its file.
 */
export class DirectLinkService {
  constructor(
    private readonly drive: DriveService,
    private readonly blobs: BlobService,
    private readonly quota: QuotaService,
    private readonly signer: TokenSigner,
    private readonly secret: string,
  ) {}

  async create(
    context: RequestContext,
    caller: Caller,
    fileId: string,
    request: DirectLinkRequest,
  ): Promise<DirectLinkView> {
    const file = await this.drive.findOwnedOrThrow(context, caller, fileId);
    if (file.kind !== DriveItemKind.FILE) throw notFound('File');
    const key = request.key || (request.randomKey ? randomKey() : null);
    const expiresAt = new Date(Date.now() + request.lifetimeSeconds * 1000);
    const token = await this.signer.sign(
      { sub: file.id, ...(key ? { kh: this.keyHash(file.id, key) } : {}) },
      expiresAt,
    );
    return { token, expiresAt, key, status: DirectLinkStatus.OPEN, file };
  }

  /** What a link holds for whoever has it and `key`; null for a string that is no link of ours. */
  async open(context: RequestContext, token: string, key: string | null): Promise<DirectLinkView | null> {
    const verified = await this.signer.verify(token);
    const fileId = verified?.claims.sub;
    const expires = verified?.claims.exp;
    if (!verified || typeof fileId !== 'string' || typeof expires !== 'number') return null;
    const view = { token, expiresAt: new Date(expires * 1000), key: null, file: null };
    if (verified.expired) return { ...view, status: DirectLinkStatus.EXPIRED };
    const keyHash = verified.claims.kh;
    if (typeof keyHash === 'string') {
      if (!key) return { ...view, status: DirectLinkStatus.KEY_REQUIRED };
      if (!sameText(keyHash, this.keyHash(fileId, key)))
        return { ...view, status: DirectLinkStatus.KEY_INVALID };
    }
    const file = await this.drive.findFile(context, fileId);
    if (!file) return { ...view, status: DirectLinkStatus.FILE_GONE };
    return { ...view, status: DirectLinkStatus.OPEN, file };
  }

  /**
   * Copies the file behind a link into the caller's `folder` (Netdisk `storage`), as one more
   * reference to its bytes. LINK_EXPIRED, LINK_KEY_INVALID (no key or a wrong one), NOT_FOUND (no link,
   * or its file is gone), NAME_TAKEN (the folder has that name), QUOTA_EXCEEDED.
   */
  async save(
    context: RequestContext,
    caller: Caller,
    token: string,
    key: string | null,
    folder: string,
  ): Promise<DriveItem> {
    const link = await this.open(context, token, key);
    if (!link) throw notFound('Link');
    switch (link.status) {
      case DirectLinkStatus.EXPIRED:
        throw new AppError(ErrorCode.LINK_EXPIRED, `The link expired at ${link.expiresAt.toISOString()}`);
      case DirectLinkStatus.KEY_REQUIRED:
      case DirectLinkStatus.KEY_INVALID:
        throw new AppError(ErrorCode.LINK_KEY_INVALID, 'The link’s key is missing or wrong');
      case DirectLinkStatus.FILE_GONE:
        throw notFound('File');
      case DirectLinkStatus.OPEN:
        break;
    }
    const fileId = link.file!.id;
    return transactional(context, async (tx) => {
      await this.quota.lockUsage(tx, caller.userId);
      // Locking the file keeps it, and so its content, from being deleted before our reference counts.
      const [file] = await tx.manager.query<{ name: string; blob_id: string }[]>(
        `SELECT name, blob_id FROM nodes WHERE id = $1 AND kind = 'file' FOR SHARE`,
        [fileId],
      );
      if (!file) throw notFound('File');
      // Even the same file there already is a name taken (spec 003 `storage`: "file has been exit").
      if (await this.drive.findByPath(tx, caller, `${toDir(folder)}${file.name}`)) {
        throw new AppError(ErrorCode.NAME_TAKEN, `"${file.name}" already exists in ${folder}`);
      }
      await this.blobs.addReferenceById(tx, file.blob_id);
      return this.drive.placeFile(tx, caller.userId, folder, file.name, file.blob_id, ConflictPolicy.FAIL);
    });
  }

  private keyHash(fileId: string, key: string): string {
    return createHmac('sha256', this.secret).update(`direct link key\n${fileId}\n${key}`).digest('base64url');
  }
}

function randomKey(): string {
  return Array.from({ length: RANDOM_KEY_LENGTH }, () => KEY_ALPHABET[randomInt(KEY_ALPHABET.length)]).join(
    '',
  );
}

function sameText(a: string, b: string): boolean {
  const [left, right] = [Buffer.from(a), Buffer.from(b)];
  return left.length === right.length && timingSafeEqual(left, right);
}
