import { Router, type Request } from 'express';
import type { Executor } from '../execute';
import type { FormFields } from '../multipart-file';
import { failureMessage, imageData, send } from './answers';
import { CLEAR_RECENT, DELETE_IMAGE, RECENT_IMAGES, type Image } from './operations';
import { baseOf, uploadImage } from './uploads';

/** Where a v1 image's delete link points. */
const deleteBase = (image: Image) => `${baseOf(image)}/sm/api/delete/`;

/** Spec 004's `format`, from the form or the query string. */
const formatOf = (request: Request, fields: FormFields = {}) =>
  fields.format ?? (typeof request.query.format === 'string' ? request.query.format : undefined);

/** Spec 004, sm.ms v1, under `/sm/api`: upload, the last hour's list, clear, delete by hash. */
export function v1Routes(executor: Executor): Router {
  const router = Router();

  router.post('/upload', async (request, response) => {
    const { result, fields } = await uploadImage(executor, request);
    const format = formatOf(request, fields);
    if (!result) return send(response, { code: 'error', msg: 'No files were uploaded.' }, format);
    if (!result.ok) return send(response, { code: 'error', msg: failureMessage(result) }, format);
    const { image } = result.data;
    send(response, { code: 'success', data: imageData(image, deleteBase(image)) }, format);
  });

  router.get('/list', async (request, response) => {
    const result = await executor.run<{ recentImageUploads: Image[] }>(request, { query: RECENT_IMAGES });
    const images = result.ok ? result.data.recentImageUploads : null;
    send(
      response,
      images
        ? { code: 'success', data: images.map((image) => imageData(image, deleteBase(image))) }
        : { code: 'error', msg: 'Could not list uploaded files.' },
      formatOf(request),
    );
  });

  router.get('/clear', async (request, response) => {
    const result = await executor.mutate(request, { query: CLEAR_RECENT });
    send(
      response,
      result.ok
        ? { code: 'success', msg: 'Clear file success' }
        : { code: 'error', msg: failureMessage(result) },
      formatOf(request),
    );
  });

  router.get('/delete/:hash', async (request, response) => {
    const result = await executor.mutate(request, {
      query: DELETE_IMAGE,
      variables: { token: request.params.hash },
    });
    send(
      response,
      result.ok
        ? { code: 'success', msg: 'File delete success.' }
        : { code: 'error', msg: 'File already deleted.' },
      formatOf(request),
    );
  });

  return router;
}
