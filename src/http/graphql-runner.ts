import {
  execute,
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import type { RequestContext } from '../context';
import { formatGraphQLError, logServerFault } from './graphql-errors';
import { OPERATION_LIMITS, type costLimit } from './graphql-limits';
import { refuseNulVariables } from './nul-free-input';

/** Distinct operation texts kept parsed and validated; clients and doors send a few dozen. */
const DOCUMENTS_KEPT = 1000;
/** Longer texts are parsed each time: one-off queries must not push the regular ones out. */
const LONGEST_KEPT_QUERY = 10_000;

export interface OperationRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

export interface OperationResponse {
  /** Absent when the request was refused before anything ran. */
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
}

type Prepared = { document: DocumentNode } | { refusal: GraphQLError[] };

/** A refusal as Apollo would code it, so that classifyError counts it as the client's mistake. */
function refusalOf(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error,
    extensions: { code },
  });
}

/**
 * Runs operations against the schema with the rules `POST /graphql` applies (token and cost
 * limits, validation, NUL-free input, error codes), without Apollo's per-request pipeline of hooks,
 * which costs more than a small operation itself. Each distinct text is parsed and validated once.
 * The doors run every operation here; `POST /graphql` runs its plain JSON requests here too.
 */
export class GraphQLRunner {
  private readonly prepared = new Map<string, Prepared>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rules: readonly ValidationRule[],
    private readonly checkCost: ReturnType<typeof costLimit>,
  ) {}

  async run(request: OperationRequest, context: RequestContext): Promise<OperationResponse> {
    const prepared = this.prepare(request.query);
    if ('refusal' in prepared) return this.refused(prepared.refusal, context);
    const { document } = prepared;
    const operationName = request.operationName ?? undefined;
    try {
      if (!getOperationAST(document, operationName)) {
        throw new GraphQLError(
          operationName
            ? `Unknown operation named "${operationName}".`
            : 'Must provide operation name if query contains multiple operations.',
          { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } },
        );
      }
      refuseNulVariables(request.variables);
      this.checkCost(document, request);
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      return this.refused([error], context);
    }
    const result = await execute({
      schema: this.schema,
      document,
      variableValues: request.variables ?? undefined,
      operationName,
      contextValue: context,
    });
    if (!result.errors) return { data: result.data };
    // Errors and no data: the variables did not fit the operation, which then never ran.
    if (!('data' in result)) {
      return this.refused(
        result.errors.map((error) => refusalOf(error, 'BAD_USER_INPUT')),
        context,
      );
    }
    return { data: result.data, errors: this.formatted(result.errors, context) };
  }

  private prepare(query: string): Prepared {
    const kept = this.prepared.get(query);
    if (kept) return kept;
    let prepared: Prepared;
    try {
      const document = parse(query, { maxTokens: OPERATION_LIMITS.maxTokens });
      const invalid = validate(this.schema, document, [...specifiedRules, ...this.rules]);
      prepared = invalid.length
        ? { refusal: invalid.map((error) => refusalOf(error, 'GRAPHQL_VALIDATION_FAILED')) }
        : { document };
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      prepared = { refusal: [refusalOf(error, 'GRAPHQL_PARSE_FAILED')] };
    }
    if (query.length <= LONGEST_KEPT_QUERY) {
      if (this.prepared.size >= DOCUMENTS_KEPT) this.prepared.delete(this.prepared.keys().next().value!);
      this.prepared.set(query, prepared);
    }
    return prepared;
  }

  private refused(errors: readonly GraphQLError[], context: RequestContext): OperationResponse {
    return { errors: this.formatted(errors, context) };
  }

  /** Every error with a code from ErrorCode and the request id; the unexpected ones logged. */
  private formatted(errors: readonly GraphQLError[], context: RequestContext): GraphQLFormattedError[] {
    return errors.map((error) => {
      logServerFault(context.log, error);
      const formatted = formatGraphQLError(error.toJSON(), error);
      return { ...formatted, extensions: { ...formatted.extensions, requestId: context.requestId } };
    });
  }
}
