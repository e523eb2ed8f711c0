import { Router, type Request, type Response } from 'express';
import type { Services } from '../services';
import type { ServableFile } from '../services/servable-file';
import type { BlobReader } from '../storage/blob-reader';
import type { RequestContextFactory } from './request-context';
import { sendBlob } from './send-blob';

/** Image URLs are permanent until the image is deleted: caches may keep them long. */
const IMAGE_CACHE_CONTROL = 'public, max-age=31536000';
/**
 * A share can be cancelled at any time: caches (a CDN, the browser) keep its file a minute and then
 * ask again, with its ETag, which costs a lookup and a 304 but no bytes.
 */
const SHARE_CACHE_CONTROL = 'public, max-age=60';

/**
 * The public URLs of shares: `/s/<shareId>/<name>` (a public share), `/p/<key>` (a picture share) and
 * `/i/<yyyy>/<mm>/<dd>/<storename>` (an sm.ms image upload). They live exactly as long as the share
 * or upload and its file. Serving counts nothing: downloads and views are counted by their own
 * mutations, as the spec-001 clients call them.
 */
export function publicFileRoutes(
  { shares, pictureShares, imageUploads }: Pick<Services, 'shares' | 'pictureShares' | 'imageUploads'>,
  reader: BlobReader,
  contexts: RequestContextFactory,
): Router {
  const router = Router();
  const serve = async (
    request: Request,
    response: Response,
    node: ServableFile | null,
    cacheControl: string,
  ) => {
    if (!node) {
      response.status(404).type('text/plain').send('No such file');
      return;
    }
    await sendBlob(request, response, reader, node.blob, node.name, cacheControl);
  };
  router.get('/s/:shareId/:name', async (request, response) => {
    const context = await contexts.create(request, null);
    const file = await shares.servableFile(context, request.params.shareId);
    await serve(request, response, file, SHARE_CACHE_CONTROL);
  });
  router.get('/p/:key', async (request, response) => {
    const context = await contexts.create(request, null);
    const file = await pictureShares.servableFile(context, request.params.key);
    await serve(request, response, file, SHARE_CACHE_CONTROL);
  });
  router.get('/i/:year/:month/:day/:storename', async (request, response) => {
    const context = await contexts.create(request, null);
    const { year, month, day, storename } = request.params;
    const file = await imageUploads.servableFile(context, `/${year}/${month}/${day}/${storename}`);
    await serve(request, response, file, IMAGE_CACHE_CONTROL);
  });
  return router;
}
