import { NODE_FIELDS, type UploadedNode } from './uploads';
import type { TestApp } from './test-app';

const UPLOAD_INTO_FOLDER = `mutation ($file: Upload!, $folder: String!) {
  uploadFile(file: $file, folder: $folder) { ${NODE_FIELDS} }
}`;

/**
 * Uploads `bytes` as `name` through GraphQL `uploadFile` (multipart, with the preflight header) and
 * returns the new file; throws on any error, for tests whose subject is what comes after the upload.
 */
export async function uploadFile(
  app: TestApp,
  token: string,
  name: string,
  bytes: Buffer | string,
  folder = '/',
): Promise<UploadedNode> {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query: UPLOAD_INTO_FOLDER, variables: { file: null, folder } }));
  form.set('map', JSON.stringify({ 0: ['variables.file'] }));
  form.set('0', new Blob([bytes]), name);
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${token}` },
    body: form,
  });
  const answer = (await response.json()) as { data?: { uploadFile?: UploadedNode }; errors?: unknown };
  if (!answer.data?.uploadFile) throw new Error(`upload of ${name} failed: ${JSON.stringify(answer.errors)}`);
  return answer.data.uploadFile;
}
