import { createHash, randomBytes } from 'node:crypto';
import type { Reachable } from './test-app';

export const md5Of = (bytes: Buffer | string) => createHash('md5').update(bytes).digest('hex');

/** `------WebKitFormBoundary` and 16 characters from '0'..'y', as the desktop client makes them. */
export function desktopBoundary(): string {
  const tail = Array.from(randomBytes(16), (byte) => String.fromCharCode(0x30 + (byte % 74))).join('');
  return `------WebKitFormBoundary${tail}`;
}

export interface DesktopUploadOptions {
  boundary?: string;
  /** What follows the closing boundary: nothing (the desktop client), `--`, a CRLF or both. */
  ending?: '' | '--' | '\r\n' | '--\r\n';
  separator?: ' ' | '; ';
  /** Parameters of the Content-Disposition line, in order; undefined ones are left out. */
  parameters: Record<string, string | number | undefined>;
}

/** A spec 001 §17 upload body (LEGACY-NOTES.md, format A). */
export function desktopUploadBody(bytes: Buffer | string, options: DesktopUploadOptions): Buffer {
  const boundary = options.boundary ?? desktopBoundary();
  const parameters = Object.entries(options.parameters)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => (name === 'size' ? `${name}=${value}` : `${name}="${value}"`))
    .join(options.separator ?? ' ');
  return Buffer.concat([
    Buffer.from(
      `${boundary}\r\nContent-Disposition: form-data; ${parameters}\r\n` +
        `Content-Type: application/octet-stream\r\n\r\n`,
    ),
    Buffer.from(bytes),
    Buffer.from(`\r\n${boundary}${options.ending ?? ''}`),
  ]);
}

/** The format-A parameters of a file for a user, in the desktop client's order. */
export function describeFile(user: string, filename: string, bytes: Buffer | string) {
  return { user, filename, md5: md5Of(bytes), size: Buffer.byteLength(bytes) };
}

/** The fields the web client sends after the file. */
export function webFields(user: string, bytes: Buffer | string) {
  return { user, md5: md5Of(bytes), size: Buffer.byteLength(bytes) };
}

/** POSTs an upload body (a format-A buffer or a FormData) to `/api/upload`. */
export async function postUpload(
  app: Reachable,
  body: Buffer | FormData,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${app.url}/api/upload`, {
    method: 'POST',
    headers: Buffer.isBuffer(body) ? { 'content-type': 'application/json', ...headers } : headers,
    body,
  });
  return { status: response.status, body: JSON.parse(await response.text()) as Record<string, unknown> };
}

/** The web client's form (LEGACY-NOTES.md, format B): `file`, `user`, `md5`, `size`, in that order. */
export function webUploadForm(
  filename: string,
  bytes: Buffer | string,
  after: Record<string, string | number | undefined>,
  before: Record<string, string> = {},
): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(before)) form.append(name, value);
  form.append('file', new Blob([bytes]), filename);
  for (const [name, value] of Object.entries(after)) {
    if (value !== undefined) form.append(name, String(value));
  }
  return form;
}
