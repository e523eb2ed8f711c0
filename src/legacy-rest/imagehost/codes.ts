import { assertUnreachable, ErrorCode } from '../../schema/error-code';

/**
 * Where an answer is given: spec 001 reports a failed token check as 4 for owner actions but as 1 in
 * `myfiles` and `login` (whose tables know only 0 and 1), and `sharepic?cmd=browse` has its own 2 for
 * a deleted picture.
 */
export type ImageHostRoom = 'default' | 'myfiles' | 'login' | 'browse';

/** Spec 001's numeric `code` for each ErrorCode (ARCHITECTURE.md, "Errors"). */
export function imageHostCode(code: ErrorCode, room: ImageHostRoom = 'default'): number {
  switch (code) {
    case ErrorCode.UNAUTHENTICATED:
      return room === 'default' ? 4 : 1;
    case ErrorCode.USER_EXISTS:
      return 2;
    case ErrorCode.ALREADY_SHARED:
      return 3;
    case ErrorCode.ALREADY_OWNED:
      return 5;
    case ErrorCode.GONE:
      return room === 'browse' ? 2 : 1;
    case ErrorCode.FORBIDDEN:
    case ErrorCode.BAD_USER_INPUT:
    case ErrorCode.NOT_FOUND:
    case ErrorCode.EMAIL_TAKEN:
    case ErrorCode.NAME_TAKEN:
    case ErrorCode.CONTENT_UNKNOWN:
    case ErrorCode.CONTENT_MISMATCH:
    case ErrorCode.PAYLOAD_TOO_LARGE:
    case ErrorCode.UNSUPPORTED_TYPE:
    case ErrorCode.RATE_LIMITED:
    case ErrorCode.QUERY_TOO_COMPLEX:
    case ErrorCode.QUOTA_EXCEEDED:
    case ErrorCode.LINK_EXPIRED:
    case ErrorCode.LINK_KEY_INVALID:
    case ErrorCode.STORAGE_FULL:
    case ErrorCode.UNAVAILABLE:
    case ErrorCode.INTERNAL:
      return 1;
    default:
      return assertUnreachable(code);
  }
}

export const OK = 0;
