import type { Request } from 'express';

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

/** The token a request carries: `Authorization: Bearer <t>` or a bare `Authorization: <t>`, else a `token` cookie. */
export function tokenFromRequest(request: Request): string | null {
  const authorization = request.get('authorization')?.trim();
  if (authorization) return BEARER.exec(authorization)?.[1] ?? authorization;
  return cookieValue(request.get('cookie'), 'token');
}
