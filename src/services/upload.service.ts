import type { Readable } from 'node:stream';
import type { Caller, RequestContext } from '../context';
import { AppError } from '../app-error';
import { transactional } from '../db/transaction';
import type { Node } from '../entities/node.entity';
import { ErrorCode } from '../schema/error-code';
import type { BlobService } from './blob.service';
import { ingest, type IngestedContent } from './ingest';
import { ConflictPolicy, type NodeService } from './node.service';
import { toDir, validateName } from './paths';

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
    private readonly nodes: NodeService,
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
  ): Promise<Node> {
    // Check what can be checked before reading a byte.
    validateName(request.name);
    toDir(request.folder);
    if (request.size !== undefined && request.size > this.maxUploadBytes) {
      source.resume();
      throw new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `Uploads are limited to ${this.maxUploadBytes} bytes`);
    }
    const content: IngestedContent = await ingest(this.blobs.store, source, {
      maxBytes: this.maxUploadBytes,
      size: request.size,
      md5: request.md5,
    });
    try {
      return await transactional(context, async (tx) => {
        const blobId = await this.blobs.addReference(tx, content);
        return this.nodes.placeFile(
          tx,
          caller.userId,
          request.folder,
          request.name,
          blobId,
          request.onConflict,
        );
      });
    } catch (error) {
      // Whether promoted or not, the temporary object must not outlive a failed upload.
      await this.blobs.store.delete(content.temporaryKey);
      throw error;
    }
  }

  /**
   * Adds a file from content the server already holds, identified by md5 (spec 001 `/api/md5`).
   * CONTENT_UNKNOWN when no single blob has that md5; ALREADY_OWNED when the caller already has a
   * file of that name with that content.
   */
  async instantUpload(context: RequestContext, caller: Caller, request: InstantUploadRequest): Promise<Node> {
    validateName(request.name);
    return transactional(context, async (tx) => {
      const existing = await this.nodes.findFileByContent(
        tx,
        caller,
        request.md5,
        request.name,
        request.folder,
      );
      if (existing) throw new AppError(ErrorCode.ALREADY_OWNED, 'You already have this file');
      const blobId = await this.blobs.addReferenceByMd5(tx, request.md5);
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
    });
  }
}
