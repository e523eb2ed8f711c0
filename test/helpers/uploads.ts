import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { GraphQLResponse } from './http';
import type { Reachable, TestApp } from './test-app';

export const FILE_FIELDS = `id name folderPath path size md5 sha256 contentType width height downloadCount download { url expiresAt }`;

export const UPLOAD_FILE = `mutation ($input: UploadFileInput!) {
  uploadFile(input: $input) { file { ${FILE_FIELDS} } userErrors { code field message } }
}`;

export interface UploadedFile {
  id: string;
  name: string;
  folderPath: string;
  path: string;
  size: number;
  md5: string;
  sha256: string;
  contentType: string;
  width: number | null;
  height: number | null;
  downloadCount: number;
  download: { url: string; expiresAt: string };
}

export interface UserError {
  code: string;
  field: string[] | null;
  message: string;
}

export interface UploadOptions {
  /** The file name in the multipart part. */
  filename?: string;
  folder?: string;
  name?: string;
  onConflict?: 'RENAME' | 'REPLACE' | 'FAIL';
  md5?: string;
  size?: number;
  /** Headers to send instead of `Authorization` + `Apollo-Require-Preflight`. */
  headers?: Record<string, string>;
}

/** The multipart body of one `uploadFile` operation (GraphQL multipart request spec). */
export function uploadForm(bytes: Buffer | string, options: UploadOptions = {}): FormData {
  const form = new FormData();
  form.set(
    'operations',
    JSON.stringify({
      query: UPLOAD_FILE,
      variables: {
        input: {
          file: null,
          folder: options.folder ?? '/',
          name: options.name ?? null,
          onConflict: options.onConflict ?? 'RENAME',
          md5: options.md5 ?? null,
          size: options.size ?? null,
        },
      },
    }),
  );
  form.set('map', JSON.stringify({ 0: ['variables.input.file'] }));
  form.set('0', new Blob([bytes]), options.filename ?? 'file.bin');
  return form;
}

export type UploadAnswer = GraphQLResponse<{
  uploadFile: { file: UploadedFile | null; userErrors: UserError[] };
}>;

/** Sends `uploadFile` as a browser would, with the preflight header Apollo's CSRF prevention wants. */
export async function uploadFile(
  app: Reachable,
  token: string | null,
  bytes: Buffer | string,
  options: UploadOptions = {},
): Promise<UploadAnswer> {
  const headers = options.headers ?? {
    'apollo-require-preflight': 'true',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers,
    body: uploadForm(bytes, options),
  });
  const text = await response.text();
  let body: object;
  try {
    body = JSON.parse(text) as object;
  } catch {
    body = { raw: text };
  }
  return { status: response.status, ...body };
}

/** The code an upload failed with, a user error or a top-level one; 'OK' when it succeeded. */
export function uploadCode(answer: UploadAnswer): string {
  return answer.errors?.[0]?.extensions?.code ?? answer.data?.uploadFile.userErrors[0]?.code ?? 'OK';
}

/**
 * Every object under `<dir>/` in the app's store, as keys relative to it, once the removals the app
 * runs after answering have finished. On disk the folder is read as it is, without a stat per file:
 * the fuzz tests look after every one of thousands of requests.
 */
export async function storedObjects(app: TestApp, dir: 'tmp' | 'blobs'): Promise<string[]> {
  await app.settled();
  if (app.config.STORAGE === 'local') {
    const root = path.join(app.dataDir, 'blobs', dir);
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
  }
  const keys: string[] = [];
  for await (const object of app.store.list(`${dir}/`)) keys.push(object.key.slice(dir.length + 1));
  return keys;
}

/** The bytes of the stored object `key` (`blobs/…`), read from the app's store. */
export async function storedBytes(app: TestApp, key: string): Promise<Buffer> {
  const sink = new PassThrough();
  const collected = buffer(sink);
  await app.store.writeTo(key, sink);
  return collected;
}

/** Counts the rows of a table, for "nothing was kept" assertions. */
export async function countRows(app: TestApp, table: 'blobs' | 'nodes'): Promise<number> {
  const [row] = await app.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table}`);
  return row.n;
}

/** The encoded bytes and content type of a multipart form, for sending it by hand over a socket. */
export async function encodeForm(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return {
    body: Buffer.from(await request.arrayBuffer()),
    contentType: request.headers.get('content-type')!,
  };
}

/**
 * A multipart form whose last part is an empty file, cut where that file's bytes would begin, and the
 * bytes that close it: for sending a file of any length by hand in between.
 */
export async function formAroundFile(
  form: FormData,
): Promise<{ head: Buffer; tail: Buffer; contentType: string }> {
  const { body, contentType } = await encodeForm(form);
  const tail = Buffer.from(`\r\n--${contentType.split('boundary=')[1]}--\r\n`);
  if (!body.subarray(body.length - tail.length).equals(tail)) {
    throw new Error('The form does not end with an empty file');
  }
  return { head: body.subarray(0, body.length - tail.length), tail, contentType };
}
