import { createHmac, timingSafeEqual } from 'node:crypto';

/** Builds and checks expiring URLs signed with SECRET (HMAC-SHA256 over what is signed and the expiry). */
export class UrlSigner {
  constructor(private readonly secret: string) {}

  /** `url` (absolute, already percent-encoded) made to work until `expires` (Unix seconds). */
  sign(url: string, signedPart: string, expires: number): string {
    return `${url}?exp=${expires}&sig=${this.signature(signedPart, expires)}`;
  }

  verify(signedPart: string, expires: unknown, signature: unknown): boolean {
    if (typeof expires !== 'string' || typeof signature !== 'string' || !/^\d{1,12}$/.test(expires))
      return false;
    if (Number(expires) < Date.now() / 1000) return false;
    const expected = Buffer.from(this.signature(signedPart, Number(expires)));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private signature(signedPart: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${signedPart}\n${expires}`).digest('base64url');
  }
}
