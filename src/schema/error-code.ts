import { registerEnumType } from 'type-graphql';

/**
 * The one list of failures the core can report. Every door maps each code to its own answer with an
 * exhaustive switch, so adding a code here forces each of them to decide what it means.
 */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  USER_EXISTS = 'USER_EXISTS',
  EMAIL_TAKEN = 'EMAIL_TAKEN',
  NAME_TAKEN = 'NAME_TAKEN',
  ALREADY_OWNED = 'ALREADY_OWNED',
  ALREADY_SHARED = 'ALREADY_SHARED',
  CONTENT_UNKNOWN = 'CONTENT_UNKNOWN',
  CONTENT_MISMATCH = 'CONTENT_MISMATCH',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_TYPE = 'UNSUPPORTED_TYPE',
  RATE_LIMITED = 'RATE_LIMITED',
  QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX',
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  LINK_EXPIRED = 'LINK_EXPIRED',
  LINK_KEY_INVALID = 'LINK_KEY_INVALID',
  GONE = 'GONE',
  INTERNAL = 'INTERNAL',
}

registerEnumType(ErrorCode, {
  name: 'ErrorCode',
  description: 'The value of `extensions.code` on every error this API returns.',
});

const knownCodes = new Set<string>(Object.values(ErrorCode));

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && knownCodes.has(value);
}

export function assertUnreachable(value: never): never {
  throw new Error(`Unhandled case: ${String(value)}`);
}
