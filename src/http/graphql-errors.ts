import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { ValidationError } from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';
import { AppError } from '../app-error';
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

/** The ErrorCode an error stands for, or null when it is a bug that the client must not see. */
export function classifyError(error: unknown): { code: ErrorCode; message: string } | null {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) return { code: original.code, message: original.message };
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
    extensions: { code },
  };
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
        for (const error of errors) {
          if (!classifyError(error)) {
            contextValue.log.error(
              { err: unwrapResolverError(error) },
              'unexpected error in a GraphQL operation',
            );
          }
        }
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
      },
    };
  },
};
