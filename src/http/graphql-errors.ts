import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { ValidationError } from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';
import { AppError, storageError } from '../app-error';
import { databaseUnavailable } from '../db/errors';
import type { Logger } from '../logger';
import { StorageFailure } from '../storage/blob-store';
import type { RequestContext } from '../context';
import { ErrorCode } from '../schema/error-code';
import { OperationLimitError } from './graphql-limits';

/** Apollo's own codes for a request the client got wrong (bad syntax, unknown field, wrong variable). */
const CLIENT_MISTAKES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

function constraintMessages(errors: ValidationError[]): string[] {
  return errors.flatMap((error) => [
    ...Object.values(error.constraints ?? {}),
    ...constraintMessages(error.children ?? []),
  ]);
}

/** How long a client should wait before trying again after UNAVAILABLE (`Retry-After`). */
export const RETRY_AFTER_SECONDS = 5;

/** The ErrorCode an error stands for, or null when it is a bug that the client must not see. */
export function classifyError(error: unknown): { code: ErrorCode; message: string } | null {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) return { code: original.code, message: original.message };
  if (original instanceof StorageFailure) return classifyError(storageError(original));
  if (databaseUnavailable(original)) {
    return { code: ErrorCode.UNAVAILABLE, message: 'The database is not answering: try again shortly' };
  }
  if (original instanceof ArgumentValidationError) {
    const messages = constraintMessages(original.extensions.validationErrors);
    return { code: ErrorCode.BAD_USER_INPUT, message: messages.join('; ') || original.message };
  }
  if (original === error && error instanceof GraphQLError) {
    // Apollo wraps a validation rule's error in its own, keeping ours as the original.
    if (error instanceof OperationLimitError || error.originalError instanceof OperationLimitError) {
      return { code: ErrorCode.QUERY_TOO_COMPLEX, message: error.message };
    }
    const code = error.extensions.code;
    const status = (error.extensions.http as { status?: number } | undefined)?.status;
    if (
      (typeof code === 'string' && CLIENT_MISTAKES.has(code)) ||
      (status && status >= 400 && status < 500)
    ) {
      return { code: ErrorCode.BAD_USER_INPUT, message: error.message };
    }
  }
  return null;
}

/** Apollo `formatError`: every error leaves with a code from ErrorCode and no stack trace. */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const known = classifyError(error);
  const { code, message } = known ?? { code: ErrorCode.INTERNAL, message: 'Internal server error' };
  return {
    message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: code === ErrorCode.UNAVAILABLE ? { code, retryAfter: RETRY_AFTER_SECONDS } : { code },
  };
}

/**
 * The HTTP status a response with these errors answers with when the server, not the request, is at
 * fault in a way HTTP names: 507 when storage is full, 503 (with `Retry-After`) when a service the
 * server needs is not answering. Null otherwise.
 */
export function serverConditionStatus(errors: readonly GraphQLFormattedError[]): 503 | 507 | null {
  const codes = new Set(errors.map((error) => error.extensions?.code));
  if (codes.has(ErrorCode.STORAGE_FULL)) return 507;
  if (codes.has(ErrorCode.UNAVAILABLE)) return 503;
  return null;
}

const OUTAGE_REPORT_INTERVAL_MS = 10_000;
const databaseOutage = { reportedAt: 0, unreported: 0 };

/**
 * Logs the errors a client must not see the inside of: unexpected ones in full, and an unreachable
 * database at error level once every 10 s at most, with how many requests it failed meanwhile.
 */
export function logServerFault(log: Logger, error: unknown): void {
  const known = classifyError(error);
  const original = unwrapResolverError(error);
  if (!known) {
    log.error({ err: original }, 'unexpected error in a GraphQL operation');
  } else if (databaseUnavailable(original)) {
    databaseOutage.unreported += 1;
    if (Date.now() - databaseOutage.reportedAt < OUTAGE_REPORT_INTERVAL_MS) return;
    log.error({ err: original, failedRequests: databaseOutage.unreported }, 'the database is unreachable');
    databaseOutage.reportedAt = Date.now();
    databaseOutage.unreported = 0;
  }
}

/** Whether a response is a refusal for the client's own mistake: no data, and no server fault. */
export function refusedForClientMistake(response: {
  data?: unknown;
  errors?: readonly GraphQLFormattedError[];
}): boolean {
  return (
    !('data' in response) &&
    (response.errors ?? []).every((error) => error.extensions?.code !== ErrorCode.INTERNAL)
  );
}

/** Logs unexpected errors and stamps the request id on every error, so a report can be traced. */
export const errorReportingPlugin: ApolloServerPlugin<RequestContext> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ contextValue, errors }) {
        for (const error of errors) logServerFault(contextValue.log, error);
      },
      async willSendResponse({ contextValue, response }) {
        if (response.body.kind !== 'single') return;
        const result = response.body.singleResult;
        if (!result.errors) return;
        result.errors = result.errors.map((error) => ({
          ...error,
          extensions: { ...error.extensions, requestId: contextValue.requestId },
        }));
        // A request refused before it ran (no `data` at all) for the client's own mistake is a 400,
        // whatever status Apollo gave it (it answers a persisted query it does not support with 200).
        if (refusedForClientMistake(result) && (response.http.status ?? 200) === 200) {
          response.http.status = 400;
        }
        const condition = serverConditionStatus(result.errors);
        if (condition) {
          response.http.status = condition;
          if (condition === 503) response.http.headers.set('Retry-After', String(RETRY_AFTER_SECONDS));
        }
      },
    };
  },
};
