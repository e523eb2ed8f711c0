import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { createHmac } from 'node:crypto';

const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** A token whose signature holds; `expired` when its time is up (its claims are still known). */
export type VerifiedToken = { claims: JWTPayload; expired: boolean };

/**
 * JWTs (HS256) for one purpose, with a key derived from SECRET and the purpose, so that a token made
 * for one use never passes for another (a session's for a direct link, say) even under one secret.
 */
export class TokenSigner {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly purpose: string,
  ) {
    this.key = createHmac('sha256', secret).update(`picvault jwt: ${purpose}`).digest();
  }

  /** Whether `token` has a JWT's shape, before any signature is checked. */
  static looksLikeJwt(token: string): boolean {
    return token.length <= 4096 && JWT.test(token);
  }

  sign(claims: JWTPayload, expiresAt: Date): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setAudience(this.purpose)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key);
  }

  /** The claims of a token signed for this purpose, expired or not; null for any other string. */
  async verify(token: string): Promise<VerifiedToken | null> {
    if (!TokenSigner.looksLikeJwt(token)) return null;
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], audience: this.purpose });
      return { claims: payload, expired: false };
    } catch (error) {
      // The signature held (jose checks it before the claims): only the time is up.
      if (error instanceof errors.JWTExpired && error.payload.aud === this.purpose) {
        return { claims: error.payload, expired: true };
      }
      return null;
    }
  }
}
