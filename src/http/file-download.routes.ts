import { Router } from 'express';
import type { RequestContextFactory } from './request-context';
import type { BlobStore } from '../storage/blob-store';
import type { DriveService } from '../services/drive.service';
import { signedPartOf } from '../services/file-links';
import type { UrlSigner } from '../services/url-signer';
import { sendBlob } from './send-blob';

/** `GET`/`HEAD /files/<nodeId>/<name>?exp=&sig=`: the owner's signed, expiring download URL. */
export function fileDownloadRoutes(
  nodes: DriveService,
  store: BlobStore,
  signer: UrlSigner,
  contexts: RequestContextFactory,
): Router {
  const router = Router();
  router.get('/files/:id/:name', async (request, response) => {
    const { id } = request.params;
    if (!signer.verify(signedPartOf(id), request.query.exp, request.query.sig)) {
      response.status(403).type('text/plain').send('This link is invalid or has expired');
      return;
    }
    const node = await nodes.findFile(await contexts.create(request, null), id);
    if (!node?.blob) {
      response.status(404).type('text/plain').send('No such file');
      return;
    }
    await sendBlob(request, response, store, node.blob, node.name);
  });
  return router;
}
