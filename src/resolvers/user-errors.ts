import type { ValidationError } from 'class-validator';
import { ArgumentValidationError, type ClassType, type MiddlewareFn } from 'type-graphql';
import { AppError, BrokenRequestError } from '../app-error';
import type { RequestContext } from '../context';
import { ErrorCode } from '../schema/error-code';
import type { PayloadType, UserErrorType } from '../schema/user-error';

/** Failures no user can fix by changing the input: they stay top-level errors. */
const TOP_LEVEL = new Set([
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.RATE_LIMITED,
  ErrorCode.QUERY_TOO_COMPLEX,
  ErrorCode.STORAGE_FULL,
  ErrorCode.UNAVAILABLE,
  ErrorCode.INTERNAL,
]);

type FieldsOfCodes = Partial<Record<ErrorCode, string[]>>;

function validationErrors(errors: ValidationError[], path: string[]): UserErrorType[] {
  return errors.flatMap((error) => {
    const field = [...path, error.property];
    return [
      ...Object.values(error.constraints ?? {}).map((message) => ({
        code: ErrorCode.BAD_USER_INPUT,
        field,
        message,
      })),
      ...validationErrors(error.children ?? [], field),
    ];
  });
}

/**
 * What of `error` the user can fix, as user errors: invalid arguments (with the path of each field at
 * fault) and AppErrors of codes that are not TOP_LEVEL, but for a request that is itself broken. `fields` names the input each code is about,
 * and also moves a code listed there out of TOP_LEVEL (a wrong password at `login` is the form's to
 * show). Null when the error is no such failure.
 */
export function userErrorsOf(error: unknown, fields: FieldsOfCodes = {}): UserErrorType[] | null {
  if (error instanceof ArgumentValidationError) {
    return validationErrors(error.extensions.validationErrors, ['input']);
  }
  if (error instanceof BrokenRequestError) return null;
  if (error instanceof AppError && (error.code in fields || !TOP_LEVEL.has(error.code))) {
    return [{ code: error.code, field: error.field ?? fields[error.code] ?? null, message: error.message }];
  }
  return null;
}

/**
 * Answers a mutation's `Payload`: the parts its resolver returned, or, when it failed for what the
 * user can fix (`userErrorsOf`), nothing but the `userErrors`. Everything not given keeps the
 * payload's defaults: null, empty lists, no user errors.
 */
export function ReportUserErrors(
  Payload: ClassType<PayloadType>,
  fields: FieldsOfCodes = {},
): MiddlewareFn<RequestContext> {
  return async (_action, next) => {
    try {
      const answered = (await next()) as Partial<PayloadType>;
      return Object.assign(new Payload(), answered);
    } catch (error) {
      const userErrors = userErrorsOf(error, fields);
      if (!userErrors) throw error;
      return Object.assign(new Payload(), { userErrors });
    }
  };
}
