import { ErrorCode } from './schema/error-code';
import type { StorageFailure } from './storage/blob-store';

/**
 * A failure the caller caused or may act on; its message is safe to show. `field` names the input it
 * is about, as a path from the operation's arguments (`['input', 'name']`), when one is to blame.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string[],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/**
 * The request itself was broken (a multipart body cut short, a file part missing): the client's
 * mistake, but nothing a user could fix in a form, so never one of a payload's `userErrors`.
 */
export class BrokenRequestError extends AppError {
  constructor(message: string) {
    super(ErrorCode.BAD_USER_INPUT, message);
    this.name = 'BrokenRequestError';
  }
}

export const notFound = (what: string, field?: string[]) =>
  new AppError(ErrorCode.NOT_FOUND, `${what} not found`, field);
export const badInput = (message: string, field?: string[]) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, field);

/** A store's failure as the server's condition it is: out of room, or not working. */
export function storageError(failure: StorageFailure): AppError {
  return failure.full
    ? new AppError(ErrorCode.STORAGE_FULL, 'The server’s storage is full: nothing was kept')
    : new AppError(ErrorCode.UNAVAILABLE, 'The server’s storage is not working: nothing was kept');
}
