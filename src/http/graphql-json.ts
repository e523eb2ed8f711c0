import type { RequestHandler } from 'express';
import {
  formatGraphQLError,
  logServerFault,
  refusedForClientMistake,
  RETRY_AFTER_SECONDS,
  serverConditionStatus,
} from './graphql-errors';
import type { GraphQLRunner, OperationRequest, OperationResponse } from './graphql-runner';
import type { RequestContextFactory } from './request-context';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;

/** A single operation in the plain form almost every client sends; anything else goes to Apollo. */
function plainOperation(body: unknown): OperationRequest | null {
  if (!isPlainObject(body) || typeof body.query !== 'string' || 'extensions' in body) return null;
  const { query, variables, operationName } = body;
  if (variables !== undefined && variables !== null && !isPlainObject(variables)) return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  return { query, variables, operationName };
}

/** As Apollo answers: a server condition HTTP names, a refusal of the client's mistake, a fault, or 200. */
function statusOf(answer: OperationResponse): number {
  const condition = serverConditionStatus(answer.errors ?? []);
  if (condition) return condition;
  if (refusedForClientMistake(answer)) return 400;
  return 'data' in answer ? 200 : 500;
}

/**
 * `POST /graphql` with a JSON body of one operation, answered by the GraphQLRunner: the same result,
 * errors and statuses as Apollo gives, for a fraction of its cost per request. What it does not
 * handle (uploads, GET, batches, persisted-query extensions, a client that asks for
 * `application/graphql-response+json`) goes on to Apollo.
 */
export function graphqlJson(runner: GraphQLRunner, contexts: RequestContextFactory): RequestHandler {
  return async (request, response, next) => {
    const operation =
      request.method === 'POST' && request.is('application/json') ? plainOperation(request.body) : null;
    if (!operation || request.headers.accept?.includes('application/graphql-response+json')) return next();
    let answer: OperationResponse;
    try {
      answer = await runner.run(operation, await contexts.create(request));
    } catch (error) {
      // Its context could not be made (the database did not answer the session lookup), or a bug.
      logServerFault(request.log, error);
      const formatted = formatGraphQLError({ message: '' }, error);
      answer = { errors: [{ ...formatted, extensions: { ...formatted.extensions, requestId: request.id } }] };
    }
    const status = statusOf(answer);
    if (status === 503) response.set('Retry-After', String(RETRY_AFTER_SECONDS));
    response.status(status).type('application/json; charset=utf-8').end(JSON.stringify(answer));
  };
}
