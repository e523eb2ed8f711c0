import { FILE_FIELDS, type UploadedFile } from './uploads';
import type { TestApp } from './test-app';

const UPLOAD_INTO_FOLDER = `mutation ($input: UploadFileInput!) {
  uploadFile(input: $input) { file { ${FILE_FIELDS} } userErrors { code message } }
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
): Promise<UploadedFile> {
  const form = new FormData();
  form.set(
    'operations',
    JSON.stringify({ query: UPLOAD_INTO_FOLDER, variables: { input: { file: null, folder } } }),
  );
  form.set('map', JSON.stringify({ 0: ['variables.input.file'] }));
  form.set('0', new Blob([bytes]), name);
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${token}` },
    body: form,
  });
  const answer = (await response.json()) as {
    data?: { uploadFile?: { file: UploadedFile | null; userErrors: unknown[] } };
    errors?: unknown;
  };
  const file = answer.data?.uploadFile?.file;
  if (!file) {
    throw new Error(`upload of ${name} failed: ${JSON.stringify(answer.errors ?? answer.data)}`);
  }
  return file;
}

const DELETE_ITEMS = `mutation ($ids: [ID!]!) { deleteItems(input: { ids: $ids }) { deletedIds } }`;

/** Deletes a file or folder through GraphQL `deleteItems`; throws unless it was deleted. */
export async function deleteItem(app: TestApp, token: string, id: string): Promise<void> {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: DELETE_ITEMS, variables: { ids: [id] } }),
  });
  const answer = (await response.json()) as { data?: { deleteItems?: { deletedIds: string[] } } };
  if (answer.data?.deleteItems?.deletedIds[0] !== id) {
    throw new Error(`deleting ${id} failed: ${JSON.stringify(answer)}`);
  }
}
