import { Router, type Request, type Response } from 'express';
import type { DriveService } from '../services/drive.service';
import { signedPartOf } from '../services/file-links';
import type { UrlSigner } from '../services/url-signer';
import type { DirectDownload } from '../storage';
import type { BlobReader } from '../storage/blob-reader';
import type { RequestContextFactory } from './request-context';
import { downloadLabels, sendBlob } from './send-blob';

const SIGNED_PATH = /^\/files\/([^/]+)\/[^/]+$/;

/**
 * Serves files by the owner's signed, expiring download URLs, `/files/<fileId>/<name>?exp=&sig=`:
 * at that URL, and for a door that streams a download it was given by GraphQL (Netdisk
 * `downloadFile`), so the door need not know where bytes live.
 */
export class FileDownloads {
  constructor(
    private readonly drive: DriveService,
    private readonly reader: BlobReader,
    private readonly signer: UrlSigner,
    private readonly contexts: RequestContextFactory,
    /** With S3_PRESIGN: a GET is sent there (302) instead of through us. */
    private readonly direct: DirectDownload | null = null,
  ) {}

  /** `GET`/`HEAD /files/<fileId>/<name>?exp=&sig=`. */
  routes(): Router {
    const router = Router();
    router.get('/files/:id/:name', (request, response) =>
      this.serve(request, response, request.params.id, request.query.exp, request.query.sig),
    );
    return router;
  }

  /** Streams what a signed URL of ours names (ranges, validators, HEAD); 403 for any other URL. */
  serveSignedUrl(request: Request, response: Response, signedUrl: string): Promise<void> {
    const url = new URL(signedUrl);
    const [, id] = SIGNED_PATH.exec(url.pathname) ?? [];
    return this.serve(
      request,
      response,
      id ?? '',
      url.searchParams.get('exp') ?? undefined,
      url.searchParams.get('sig') ?? undefined,
    );
  }

  private async serve(
    request: Request,
    response: Response,
    id: string,
    expires: unknown,
    signature: unknown,
  ) {
    if (!this.signer.verify(signedPartOf(id), expires, signature)) {
      response.status(403).type('text/plain').send('This link is invalid or has expired');
      return;
    }
    const file = await this.drive.servableFile(await this.contexts.create(request, null), id);
    if (!file) {
      response.status(404).type('text/plain').send('No such file');
      return;
    }
    // A presigned URL is signed for GET alone; HEAD is answered here, from the row, without bytes.
    if (this.direct && request.method === 'GET') {
      const location = await this.direct(file.blob.storageKey, downloadLabels(file.blob, file.name));
      // The presigned URL lives minutes: neither the redirect nor where it leads may be kept.
      response.set('Cache-Control', 'no-store').redirect(302, location);
      return;
    }
    await sendBlob(request, response, this.reader, file.blob, file.name);
  }
}
