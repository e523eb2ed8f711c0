import { Router, type Request, type Response } from 'express';
import type { DriveItem } from '../entities/drive-item.entity';
import type { Services } from '../services';
import type { BlobStore } from '../storage/blob-store';
import type { RequestContextFactory } from './request-context';
import { sendBlob } from './send-blob';

/** Image URLs are permanent until the image is deleted: caches may keep them long. */
const IMAGE_CACHE_CONTROL = 'public, max-age=31536000';

/**
 * The public URLs of shares: `/s/<shareId>/<name>` (a public share), `/p/<key>` (a picture share) and
 * `/i/<yyyy>/<mm>/<dd>/<storename>` (an sm.ms image upload). They live exactly as long as the share
 * or upload and its file. Serving counts nothing: downloads and views are counted by their own
 * mutations, as the spec-001 clients call them.
 */
export function publicFileRoutes(
  { shares, pictureShares, imageUploads }: Pick<Services, 'shares' | 'pictureShares' | 'imageUploads'>,
  store: BlobStore,
  contexts: RequestContextFactory,
): Router {
  const router = Router();
  const serve = async (
    request: Request,
    response: Response,
    node: DriveItem | null,
    cacheControl?: string,
  ) => {
    if (!node?.blob) {
      response.status(404).type('text/plain').send('No such file');
      return;
    }
    await sendBlob(request, response, store, node.blob, node.name, cacheControl);
  };
  router.get('/s/:shareId/:name', async (request, response) => {
    const context = await contexts.create(request, null);
    await serve(request, response, await shares.servableFile(context, request.params.shareId));
  });
  router.get('/p/:key', async (request, response) => {
    const context = await contexts.create(request, null);
    await serve(request, response, await pictureShares.servableFile(context, request.params.key));
  });
  router.get('/i/:year/:month/:day/:storename', async (request, response) => {
    const context = await contexts.create(request, null);
    const { year, month, day, storename } = request.params;
    const file = await imageUploads.servableFile(context, `/${year}/${month}/${day}/${storename}`);
    await serve(request, response, file, IMAGE_CACHE_CONTROL);
  });
  return router;
}
