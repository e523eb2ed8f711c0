import cors from 'cors';
import type { RequestHandler } from 'express';
import type { OriginPolicy } from './origin';

const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS for the API (`/graphql` and the REST doors): only origins in CORS_ORIGINS get an answer, and
 * with credentials, since such a client signs in with a cookie or an `Authorization` header.
 */
export function apiCors(origins: OriginPolicy): RequestHandler {
  return cors({
    origin: (origin, decide) => decide(null, origins.isAllowedCrossOrigin(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST'],
    // Netdisk downloads come from API routes too.
    exposedHeaders: [
      'X-Request-Id',
      'Retry-After',
      'Content-Disposition',
      'Content-Range',
      'Accept-Ranges',
      'ETag',
    ],
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
}

/**
 * CORS for file responses (signed `/files/…`, `/s/…`, `/p/…`): any origin may read them, without
 * credentials, because the URL itself is the permission.
 */
export function fileCors(): RequestHandler {
  return cors({
    origin: '*',
    methods: ['GET', 'HEAD'],
    allowedHeaders: ['Range', 'If-None-Match', 'If-Modified-Since', 'If-Range'],
    exposedHeaders: ['Content-Disposition', 'Content-Length', 'Content-Range', 'Accept-Ranges', 'ETag'],
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
}
