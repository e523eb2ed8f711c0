import type { Request, Response } from 'express';
import { INLINE_IMAGE_TYPES } from '../services/content-sniffer';
import type { ServableFile } from '../services/servable-file';
import { MissingObjectError, type ByteRange } from '../storage/blob-store';
import type { BlobReader } from '../storage/blob-reader';
import type { DownloadLabels } from '../storage/s3.storage';

/** `attachment; filename="cat.png"; filename*=UTF-8''…`: an ASCII fallback plus the exact UTF-8 name. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** A single `bytes=` range against `size`; undefined for none or an unsupported form, null if unsatisfiable. */
export function parseRange(header: string | undefined, size: number): ByteRange | null | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return null;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return null;
  return { start, end };
}

/** The headers that describe the bytes, wrong for anything else said instead. */
const DESCRIBING_HEADERS = [
  'Accept-Ranges',
  'ETag',
  'Last-Modified',
  'Cache-Control',
  'Content-Disposition',
  'Content-Range',
  'Content-Length',
];

function notModified(request: Request, etag: string, lastModified: Date): boolean {
  const ifNoneMatch = request.get('if-none-match');
  if (ifNoneMatch) return ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*');
  const since = Date.parse(request.get('if-modified-since') ?? '');
  return !Number.isNaN(since) && Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000);
}

/** What a download that is not public and lasting may be cached as. */
const PRIVATE_CACHE_CONTROL = 'private, max-age=0, must-revalidate';

/** Images show inline with their own type; everything else is an octet-stream attachment. */
export function downloadLabels(
  blob: Pick<ServableFile['blob'], 'contentType'>,
  name: string,
  cacheControl = PRIVATE_CACHE_CONTROL,
): DownloadLabels {
  const inline = INLINE_IMAGE_TYPES.has(blob.contentType);
  return {
    contentType: inline ? blob.contentType : 'application/octet-stream',
    contentDisposition: contentDisposition(inline ? 'inline' : 'attachment', name),
    cacheControl,
  };
}

/**
 * Streams stored bytes as a download: ranges, validators, HEAD. Images show inline, everything else is
 * an attachment, and nothing served can run script in our origin (nosniff, CSP sandbox).
 */
export async function sendBlob(
  request: Request,
  response: Response,
  reader: BlobReader,
  blob: ServableFile['blob'],
  name: string,
  /** Private and revalidated unless the URL is public and lasting. */
  cacheControl?: string,
) {
  const etag = `"${blob.sha256}"`;
  const labels = downloadLabels(blob, name, cacheControl);
  // Whatever is sent, nothing can run script in our origin: even a 404 keeps these two.
  response.set({ 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': 'sandbox' });
  response.set({
    'Accept-Ranges': 'bytes',
    ETag: etag,
    'Last-Modified': blob.createdAt.toUTCString(),
    'Cache-Control': labels.cacheControl,
    'Content-Type': labels.contentType,
    'Content-Disposition': labels.contentDisposition,
  });
  if (notModified(request, etag, blob.createdAt)) {
    response.status(304).end();
    return;
  }
  const ifRange = request.get('if-range');
  const range = ifRange && ifRange !== etag ? undefined : parseRange(request.get('range'), blob.size);
  if (range === null) {
    response.status(416).set('Content-Range', `bytes */${blob.size}`).end();
    return;
  }
  if (range) {
    response.status(206).set('Content-Range', `bytes ${range.start}-${range.end}/${blob.size}`);
    response.set('Content-Length', String(range.end - range.start + 1));
  } else {
    response.status(200).set('Content-Length', String(blob.size));
  }
  if (request.method === 'HEAD' || blob.size === 0) {
    response.end();
    return;
  }
  try {
    await reader.writeTo(blob.storageKey, blob.size, response, range ?? undefined);
  } catch (error) {
    if (error instanceof MissingObjectError && !response.headersSent) {
      // Its file was deleted between finding the row and reading the bytes.
      for (const header of DESCRIBING_HEADERS) response.removeHeader(header);
      response.status(404).type('text/plain').send('No such file');
      return;
    }
    // A client that hangs up mid-download is not a server error.
    if (!response.destroyed && !request.destroyed) throw error;
  }
}
