import type { Readable } from 'node:stream';
import type { Caller, RequestContext } from '../context';
import { AppError } from '../app-error';
import { transactional } from '../db/transaction';
import { faultPoint } from '../faults';
import type { DriveItem } from '../entities/drive-item.entity';
import { ErrorCode } from '../schema/error-code';
import type { BlobService } from './blob.service';
import { ingest, type IngestedContent } from './ingest';
import { ConflictPolicy, type DriveService } from './drive.service';
import { toDir, validateName } from './paths';
import { quotaExceeded, type QuotaService } from './quota.service';

export interface UploadRequest {
  name: string;
  folder: string;
  onConflict: ConflictPolicy;
  /** What the client declared; the bytes must agree. */
  size?: number;
  md5?: string;
}

export interface InstantUploadRequest {
  md5: string;
  name: string;
  folder: string;
  onConflict: ConflictPolicy;
}

/** Brings bytes in: streamed uploads, and uploads by md5 of content the server already has. */
export class UploadService {
  constructor(
    private readonly blobs: BlobService,
    private readonly nodes: DriveService,
    private readonly quota: QuotaService,
    private readonly maxUploadBytes: number,
  ) {}

  /**
   * Streams the bytes to storage first, with no transaction open, then records them in one short
   * transaction. A failure at any point leaves neither a row nor a stored object behind.
   */
  async upload(
    context: RequestContext,
    caller: Caller,
    source: Readable,
    request: UploadRequest,
  ): Promise<DriveItem> {
    // Check what can be checked before reading a byte.
    validateName(request.name);
    toDir(request.folder);
    if (request.size !== undefined && request.size > this.maxUploadBytes) {
      source.resume();
      throw new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `Uploads are limited to ${this.maxUploadBytes} bytes`);
    }
    // Read once, before streaming: an upload running meanwhile may still take the room, which the
    // check when the file is placed catches.
    const remainingQuotaBytes = await this.quota.remainingBytes(context, caller.userId);
    if (request.size !== undefined && remainingQuotaBytes !== null && request.size > remainingQuotaBytes) {
      source.resume();
      throw quotaExceeded();
    }
    const content: IngestedContent = await ingest(this.blobs.store, source, {
      maxBytes: this.maxUploadBytes,
      remainingQuotaBytes,
      size: request.size,
      md5: request.md5,
    });
    faultPoint('upload:stored');
    try {
      return await transactional(
        context,
        async (tx) => {
          await this.quota.lockUsage(tx, caller.userId);
          const blobId = await this.blobs.addReference(tx, content);
          return this.nodes.placeFile(
            tx,
            caller.userId,
            request.folder,
            request.name,
            blobId,
            request.onConflict,
          );
        },
        'upload',
      );
    } catch (error) {
      // Whether promoted or not, the temporary object must not outlive a failed upload.
      await this.blobs.store.delete(content.temporaryKey);
      throw error;
    }
  }

  /**
   * Adds a file from content the server already holds, identified by md5 (spec 001 `/api/md5`), but
   * only content the caller already has or that is publicly shared: anyone else's private files stay
   * unknown, so an md5 never reveals or hands out what someone else keeps. CONTENT_UNKNOWN otherwise,
   * or when two such blobs have that md5 (the client then uploads, and the bytes are still stored
   * once); ALREADY_OWNED when the caller already has a file of that name with that content.
   */
  async instantUpload(
    context: RequestContext,
    caller: Caller,
    request: InstantUploadRequest,
  ): Promise<DriveItem> {
    validateName(request.name);
    return transactional(
      context,
      async (tx) => {
        await this.quota.lockUsage(tx, caller.userId);
        const existing = await this.nodes.findFileByContent(
          tx,
          caller,
          request.md5,
          request.name,
          request.folder,
        );
        if (existing) throw new AppError(ErrorCode.ALREADY_OWNED, 'You already have this file');
        const blobId = await this.blobs.addReferenceByMd5(tx, request.md5, caller.userId);
        if (!blobId)
          throw new AppError(ErrorCode.CONTENT_UNKNOWN, 'The server does not have that content: upload it');
        return this.nodes.placeFile(
          tx,
          caller.userId,
          request.folder,
          request.name,
          blobId,
          request.onConflict,
        );
      },
      'instant-upload',
    );
  }
}
