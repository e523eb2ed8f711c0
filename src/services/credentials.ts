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
