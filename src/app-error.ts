import { ErrorCode } from './schema/error-code';

/** A failure the caller caused or may act on; its message is safe to show. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string) => new AppError(ErrorCode.NOT_FOUND, `${what} not found`);
export const badInput = (message: string) => new AppError(ErrorCode.BAD_USER_INPUT, message);
