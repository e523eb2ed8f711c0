import argon2 from 'argon2';
import { createHash, randomBytes } from 'node:crypto';

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** 128 random bits as 32 lowercase hex characters: the shape legacy clients expect of a token. */
export function newToken(): string {
  return randomBytes(16).toString('hex');
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const API_TOKEN_CHARACTERS = 40;
const API_TOKEN = /^pv_[0-9A-Za-z]{40}$/;

/**
 * An API token: `pv_` and 40 base62 characters (238 random bits). Its shape is neither a session
 * token's (32 hex) nor a JWT's, so a token is looked up in one place only, and a secret scanner can
 * tell ours from others'.
 */
export function newApiToken(): string {
  const characters: string[] = [];
  while (characters.length < API_TOKEN_CHARACTERS) {
    for (const byte of randomBytes(API_TOKEN_CHARACTERS)) {
      // Only bytes below 248 (4 × 62) count, so that every character is equally likely.
      if (byte < 248) characters.push(BASE62[byte % 62]);
    }
  }
  return `pv_${characters.slice(0, API_TOKEN_CHARACTERS).join('')}`;
}

export function isApiToken(token: string): boolean {
  return API_TOKEN.test(token);
}

/**
 * Every door sends or derives the md5 hex of the password; the stored hash is argon2id of that md5, so
 * one account logs in through all of them and the bare md5 is never stored.
 */
export function hashPasswordMd5(passwordMd5: string): Promise<string> {
  return argon2.hash(passwordMd5, { type: argon2.argon2id });
}

// Verifying against this keeps the answer time the same whether or not the user exists.
const decoyHash = hashPasswordMd5(md5Hex(randomBytes(16).toString('hex')));

export async function verifyPasswordMd5(storedHash: string | null, passwordMd5: string): Promise<boolean> {
  try {
    const matches = await argon2.verify(storedHash ?? (await decoyHash), passwordMd5);
    return matches && storedHash !== null;
  } catch {
    return false;
  }
}
