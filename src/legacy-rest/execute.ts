import type { Request } from 'express';
import type { RequestContext } from '../context';
import { classifyError, logServerFault } from '../http/graphql-errors';
import type { GraphQLRunner } from '../http/graphql-runner';
import type { RequestContextFactory } from '../http/request-context';
import { ErrorCode, isErrorCode } from '../schema/error-code';

export interface Operation {
  query: string;
  variables?: Record<string, unknown>;
}

/**
 * Whose credentials a legacy request carries. `token` replaces the request's own header or cookie
 * when present; `userName` is the account the request claims to act for, which must be the token's.
 */
export interface LegacyCredentials {
  token?: unknown;
  userName?: unknown;
}

/** A payload's user error, as an operation selects it: `userErrors { code message }`. */
export interface UserError {
  code: string;
  message: string;
}

/** A user error as a failed result, for a door to answer with its own code. */
export function failureOf(userError: UserError): Failure {
  const code = isErrorCode(userError.code) ? userError.code : ErrorCode.INTERNAL;
  return { ok: false, code, message: userError.message };
}

export interface Failure {
  ok: false;
  code: ErrorCode;
  message: string;
}

export type OperationResult<Data> = { ok: true; data: Data } | Failure;

/** Runs GraphQL operations in-process, against the same schema and rules as `POST /graphql`. */
export class Executor {
  constructor(
    private readonly runner: GraphQLRunner,
    private readonly contexts: RequestContextFactory,
  ) {}

  async run<Data>(
    request: Request,
    operation: Operation,
    credentials: LegacyCredentials = {},
  ): Promise<OperationResult<Data>> {
    let context: RequestContext;
    try {
      context = await this.contextFor(request, credentials);
    } catch (error) {
      // The session lookup failed: a door answers an unreachable database with its own code too.
      const known = classifyError(error);
      if (!known) throw error;
      logServerFault(request.log, error);
      return { ok: false, ...known };
    }
    const { data, errors } = await this.runner.run(operation, context);
    if (errors?.length) {
      const code = errors[0].extensions?.code;
      return { ok: false, code: isErrorCode(code) ? code : ErrorCode.INTERNAL, message: errors[0].message };
    }
    return { ok: true, data: data as Data };
  }

  /**
   * Runs a mutation of one root field and answers its payload, its first user error as a failure:
   * a door reports user errors and top-level errors alike, through one code table.
   */
  async mutate<Payload>(
    request: Request,
    operation: Operation,
    credentials: LegacyCredentials = {},
  ): Promise<OperationResult<Payload>> {
    const result = await this.run<Record<string, Payload & { userErrors: UserError[] }>>(
      request,
      operation,
      credentials,
    );
    if (!result.ok) return result;
    const [payload] = Object.values(result.data);
    const [userError] = payload.userErrors;
    return userError ? failureOf(userError) : { ok: true, data: payload };
  }

  private async contextFor(request: Request, credentials: LegacyCredentials): Promise<RequestContext> {
    const token = typeof credentials.token === 'string' && credentials.token ? credentials.token : undefined;
    const context = await this.contexts.create(request, token);
    // The uploader is whoever the token stands for, whatever its scope.
    if (credentials.userName === undefined || !context.uploader) return context;
    // A token only vouches for its own account: acting as anyone else is acting signed out.
    const claimed = typeof credentials.userName === 'string' ? credentials.userName.toLowerCase() : null;
    return claimed === context.uploader.userName.toLowerCase()
      ? context
      : { ...context, caller: null, uploader: null };
  }
}
