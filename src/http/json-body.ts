import express, { type RequestHandler } from 'express';

/** A body that is not a JSON object; legacy doors answer it with their own failure code. */
export class MalformedBodyError extends Error {
  readonly status = 400;
  readonly expose = true;
}

/**
 * Parses the body as a JSON object whatever its Content-Type says, as legacy clients label JSON
 * `application/octet-stream`, `text/plain` or nothing at all. An empty body is `{}`.
 */
export function anyContentTypeJsonBody(limit: string): RequestHandler[] {
  const readRaw = express.raw({ type: () => true, limit });
  const parse: RequestHandler = (request, _response, next) => {
    const raw: unknown = request.body;
    if (!Buffer.isBuffer(raw) || raw.length === 0) {
      request.body = {};
      next();
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      next(new MalformedBodyError('The body is not valid JSON'));
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      next(new MalformedBodyError('The body must be a JSON object'));
      return;
    }
    request.body = parsed;
    next();
  };
  return [readRaw, parse];
}
