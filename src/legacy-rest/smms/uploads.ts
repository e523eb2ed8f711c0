import type { Request } from 'express';
import type { Executor, LegacyCredentials, OperationResult } from '../execute';
import { readFilePart, type FormFields } from '../multipart-file';
import { discardRest, graphqlUpload } from '../upload-value';
import { UPLOAD_IMAGE, type Image } from './operations';

/** The file field both versions post (spec 004 `smfile`). */
const FILE_FIELD = 'smfile';

export interface ImageUploadResult {
  /** null when the form carried no `smfile` file: spec 004's `No files were uploaded.` */
  result: OperationResult<{ image: Image; repeated: boolean }> | null;
  /** The form's fields, as far as they were read (`format`, v1's `ssl`). */
  fields: FormFields;
}

/**
 * Reads the `smfile` of a multipart request into `uploadImage`. The form must be whole and hold one
 * `smfile`: the core keeps nothing otherwise, as the file's stream fails at the form's end.
 */
export async function uploadImage(
  executor: Executor,
  request: Request,
  credentials: LegacyCredentials = {},
): Promise<ImageUploadResult> {
  let part;
  try {
    part = await readFilePart(request, {
      fileField: FILE_FIELD,
      soleFile: true,
      limits: { files: 2, fields: 16, parts: 18, fieldSize: 4096 },
    });
  } catch {
    discardRest(request);
    return { result: null, fields: {} };
  }
  const result = await executor.mutate<{ image: Image; repeated: boolean }>(
    request,
    { query: UPLOAD_IMAGE, variables: { file: graphqlUpload(part.filename, part.stream) } },
    credentials,
  );
  discardRest(request);
  const fields = await part.complete.catch(() => part.fieldsBefore);
  return { result, fields };
}

/** The base of every URL of the request's answers, as the core built `url`: `https://host[/prefix]`. */
export const baseOf = (image: Image) => image.url.slice(0, image.url.length - `/i${image.path}`.length);
