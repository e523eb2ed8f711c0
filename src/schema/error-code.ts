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
  STORAGE_FULL = 'STORAGE_FULL',
  UNAVAILABLE = 'UNAVAILABLE',
  INTERNAL = 'INTERNAL',
}

registerEnumType(ErrorCode, {
  name: 'ErrorCode',
  description:
    'Why something failed: the `code` of a user error, and the `extensions.code` of every top-level error.',
  valuesConfig: {
    UNAUTHENTICATED: {
      description:
        'No valid session or API token: sign in with `login` and send its token. At `login` and `issueApiToken`: a wrong name or password.',
    },
    FORBIDDEN: {
      description:
        'Signed in, but not allowed to do this (a wrong current password, not an administrator, an UPLOAD-scoped API token).',
    },
    BAD_USER_INPUT: { description: 'An argument is malformed or out of range; `field` says which.' },
    NOT_FOUND: { description: 'Nothing of that id, name or key that the viewer may act on.' },
    USER_EXISTS: { description: 'That user name is taken (letter case aside).' },
    EMAIL_TAKEN: { description: 'That e-mail address belongs to another account.' },
    NAME_TAKEN: {
      description:
        'The folder already holds something of that name, or the viewer an API token of that name.',
    },
    ALREADY_OWNED: { description: 'The viewer already has a file of that content and name there.' },
    ALREADY_SHARED: { description: 'A file of that content and name is already shared publicly.' },
    CONTENT_UNKNOWN: {
      description: 'No content the viewer may copy has that md5: upload the bytes instead.',
    },
    CONTENT_MISMATCH: { description: 'The bytes do not match the declared md5 or size; nothing was kept.' },
    PAYLOAD_TOO_LARGE: { description: 'Larger than MAX_UPLOAD_BYTES, or the request body than its limit.' },
    UNSUPPORTED_TYPE: { description: 'The content is not of a type this operation takes.' },
    RATE_LIMITED: { description: 'Too many attempts for now; try again later.' },
    QUERY_TOO_COMPLEX: {
      description: 'The operation asks for too much at once (depth, aliases, fields, cost): ask for less.',
    },
    QUOTA_EXCEEDED: {
      description:
        'It would take the account past its storage quota, or past its number of API tokens; nothing was kept.',
    },
    LINK_EXPIRED: { description: 'The link has expired.' },
    LINK_KEY_INVALID: { description: 'The link needs a key, and this is not it.' },
    GONE: {
      description: 'It existed but is gone, such as the picture of a picture share whose file was deleted.',
    },
    STORAGE_FULL: {
      description:
        'The server has no room left for the bytes (its disk or store is full); nothing was kept. A fault of the server, not of the request (HTTP 507).',
    },
    UNAVAILABLE: {
      description:
        'A service the server needs (its database or its storage) is not answering; nothing was changed. Try again after `extensions.retryAfter` seconds (HTTP 503 with `Retry-After`).',
    },
    INTERNAL: { description: 'A fault of the server: it is logged with the request id; try again later.' },
  },
});

const knownCodes = new Set<string>(Object.values(ErrorCode));

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && knownCodes.has(value);
}

export function assertUnreachable(value: never): never {
  throw new Error(`Unhandled case: ${String(value)}`);
}
