import { Router, type Request, type Response } from 'express';
import type { DriveItem } from '../entities/drive-item.entity';
import type { PictureShareService } from '../services/picture-share.service';
import type { ShareService } from '../services/share.service';
import type { BlobStore } from '../storage/blob-store';
import type { RequestContextFactory } from './request-context';
import { sendBlob } from './send-blob';

/**
 * The public URLs of shares: `/s/<shareId>/<name>` (a public share) and `/p/<key>` (a picture share).
 * They live exactly as long as the share and its file. Serving counts nothing: downloads and views are
 * counted by their own mutations, as the spec-001 clients call them.
 */
export function publicFileRoutes(
  shares: ShareService,
  pictureShares: PictureShareService,
  store: BlobStore,
  contexts: RequestContextFactory,
): Router {
  const router = Router();
  const serve = async (request: Request, response: Response, node: DriveItem | null) => {
    if (!node?.blob) {
      response.status(404).type('text/plain').send('No such file');
      return;
    }
    await sendBlob(request, response, store, node.blob, node.name);
  };
  router.get('/s/:shareId/:name', async (request, response) => {
    const context = await contexts.create(request, null);
    await serve(request, response, await shares.servableFile(context, request.params.shareId));
  });
  router.get('/p/:key', async (request, response) => {
    const context = await contexts.create(request, null);
    await serve(request, response, await pictureShares.servableFile(context, request.params.key));
  });
  return router;
}
