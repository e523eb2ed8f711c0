import type { Request } from 'express';
import type { OriginPolicy } from './origin';

const BEARER = /^Bearer\s+(\S+)$/i;

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator < 0 || pair.slice(0, separator).trim() !== name) continue;
    const raw = pair.slice(separator + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return null;
}

/**
 * The token a request carries: `Authorization: Bearer <t>` or a bare `Authorization: <t>`, else a
 * `token` cookie. A browser attaches the cookie to requests any other site makes, so it counts only
 * for requests the browser does not mark as cross-site: another site's form cannot act for the user.
 */
export function tokenFromRequest(request: Request, origins: OriginPolicy): string | null {
  const authorization = request.get('authorization')?.trim();
  if (authorization) return BEARER.exec(authorization)?.[1] ?? authorization;
  if (origins.isCrossSite(request)) return null;
  return cookieValue(request.get('cookie'), 'token');
}
