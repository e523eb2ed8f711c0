import type { Request } from 'express';

/** A `Host` value: a name or IPv4 address, or a bracketed IPv6 address, and an optional port. */
const HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The origin a request was addressed to, `scheme://host[:port]`: its `Host`, or under TRUST_PROXY
 * the `X-Forwarded-Host` and `X-Forwarded-Proto` a proxy set (Express's `req.host` and
 * `req.protocol` follow `trust proxy`). Null when the request names no usable host.
 */
export function requestOrigin(request: Request): string | null {
  const host = request.host;
  if (!host || !HOST.test(host)) return null;
  // As URL spells origins: lower case, the scheme's default port left out.
  return new URL(`${request.protocol}://${host}`).origin;
}

/** `host[:port]` of an origin as URL spells it (default ports left out); null for `null` or junk. */
function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/**
 * Which browser origins the API trusts: its own (the public URL's, or whatever host a request was
 * addressed to) and those listed in CORS_ORIGINS.
 */
export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;
  private readonly publicOrigin: string | null;

  constructor(corsOrigins: readonly string[], publicUrl: string | null) {
    this.allowed = new Set(corsOrigins);
    this.publicOrigin = publicUrl ? new URL(publicUrl).origin : null;
  }

  /** Listed in CORS_ORIGINS: gets CORS answers, credentials included. */
  isAllowedCrossOrigin(origin: string | undefined): boolean {
    return origin !== undefined && this.allowed.has(origin);
  }

  /**
   * Whether the browser says this request comes from another site: a `Sec-Fetch-Site` other than
   * `same-origin` or `none`, or an `Origin` that is neither ours nor listed. Requests with neither
   * header (desktop clients, scripts) are never cross-site. Our own origin is compared by host, not
   * scheme, so a proxy that ends TLS and passes the original `Host` needs no TRUST_PROXY for it.
   */
  isCrossSite(request: Request): boolean {
    const origin = request.get('origin');
    if (this.isAllowedCrossOrigin(origin)) return false;
    const site = request.get('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
    if (origin === undefined) return false;
    if (origin === this.publicOrigin) return false;
    const own = requestOrigin(request);
    return own === null || hostOf(origin) !== hostOf(own);
  }
}
