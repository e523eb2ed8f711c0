import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { ErrorCode } from '../schema/error-code';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../services/pagination';

/**
 * What one GraphQL operation may ask for. Every limit is checked before any resolver runs, so a
 * refused operation costs a parse and a walk of its document, never a query or a password hash.
 * The playground's operations and the doors' own (a page of 100 files with ten fields each costs
 * about 1 300) stay well inside.
 */
export const OPERATION_LIMITS = {
  /** Lexical tokens in the document: bounds the parse itself, whatever the body size allows. */
  maxTokens: 5000,
  maxDepth: 12,
  maxAliases: 30,
  maxDirectives: 20,
  /** Fields at the top of an operation, however they are spelled (aliases, fragments). */
  maxRootFields: 20,
  /** Every field costs 1, and a field that returns a page multiplies what it selects by its size. */
  maxCost: 10_000,
} as const;

/** Mutations that verify a password: one per operation, so one request is one argon2 hash. */
const AUTHENTICATION_MUTATIONS = new Set(['login', 'register', 'changePassword', 'issueApiToken']);

/** An operation refused for what it asks for, before it runs. */
export class OperationLimitError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, http: { status: 400 } } });
  }
}

/** graphql-armor's rules, reporting their refusal as ours so that it carries QUERY_TOO_COMPLEX. */
const armored = <Options>(rule: (options: Options) => ValidationRule, options: Options): ValidationRule => {
  return (context) =>
    rule({
      ...options,
      exposeLimits: true,
      propagateOnRejection: false,
      onReject: [
        (_context: unknown, error: GraphQLError) =>
          context.reportError(new OperationLimitError(error.message.replace(/^Syntax Error: /, ''))),
      ],
    })(context);
};

/** The fields at the top of an operation, fragments spread out. */
function rootFieldNames(context: ValidationContext, selections: SelectionSetNode, seen = new Set<string>()) {
  const names: string[] = [];
  for (const selection of selections.selections) {
    if (selection.kind === Kind.FIELD) {
      names.push(selection.name.value);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      names.push(...rootFieldNames(context, selection.selectionSet, seen));
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) names.push(...rootFieldNames(context, fragment.selectionSet, seen));
    }
  }
  return names;
}

const rootFieldsRule: ValidationRule = (context) => ({
  OperationDefinition(operation: OperationDefinitionNode) {
    const names = rootFieldNames(context, operation.selectionSet);
    if (names.length > OPERATION_LIMITS.maxRootFields) {
      context.reportError(
        new OperationLimitError(
          `An operation may select at most ${OPERATION_LIMITS.maxRootFields} top-level fields, found ${names.length}`,
        ),
      );
    }
    const authentications = names.filter((name) => AUTHENTICATION_MUTATIONS.has(name)).length;
    if (operation.operation === OperationTypeNode.MUTATION && authentications > 1) {
      context.reportError(
        new OperationLimitError(
          `An operation may run at most one of ${[...AUTHENTICATION_MUTATIONS].join(', ')}`,
        ),
      );
    }
  },
});

/** Rules that depend on the document alone; Apollo runs them once per distinct document. */
export const operationLimitRules: ValidationRule[] = [
  armored(maxAliasesRule, { n: OPERATION_LIMITS.maxAliases }),
  armored(maxDepthRule, { n: OPERATION_LIMITS.maxDepth, ignoreIntrospection: true, flattenFragments: true }),
  armored(maxDirectivesRule, { n: OPERATION_LIMITS.maxDirectives }),
  rootFieldsRule,
];

/**
 * A connection's page of `first` or `last` items (20 when neither is given), or the `ids` of a batch,
 * costs that many times what one item selects. A size past the largest page counts as the largest:
 * argument validation refuses it anyway, with its own message.
 */
const pageEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  let size: unknown = args.first ?? args.last;
  if (size === undefined && field.args.some((argument) => argument.name === 'first'))
    size = DEFAULT_PAGE_SIZE;
  if (Array.isArray(args.ids)) size = args.ids.length;
  if (typeof size !== 'number') return undefined;
  return 1 + Math.min(Math.max(size, 0), MAX_PAGE_SIZE) * childComplexity;
};

/** An operation as a request asks for it, with the variables that may change its cost. */
export interface CostedRequest {
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/** Costs kept per document: one per operation name and set of variables seen. */
const COSTS_PER_DOCUMENT = 100;
/** Variables whose JSON is longer are costed each time rather than kept as a key. */
const LONGEST_VARIABLES_KEY = 512;

/** Where a request's cost is kept: null for variables too long to key by, or not JSON (uploads). */
function costKey(request: CostedRequest): string | null {
  let variables: string;
  try {
    variables = JSON.stringify(request.variables ?? {});
  } catch {
    return null;
  }
  return variables.length <= LONGEST_VARIABLES_KEY
    ? `${request.operationName ?? ''}\u0000${variables}`
    : null;
}

/**
 * The cost limit, which depends on the variables (a page size may be one), so it is checked for
 * every request once its operation is known; throws OperationLimitError past it. The same operation
 * with the same variables always costs the same: the cost is kept with its parsed document, which is
 * reused for every request that sends the same text, under the operation name and the variables.
 */
export function costLimit(schema: GraphQLSchema): (document: DocumentNode, request: CostedRequest) => void {
  const costs = new WeakMap<DocumentNode, Map<string, number>>();
  const costOf = (document: DocumentNode, request: CostedRequest): number => {
    const operationName = request.operationName ?? undefined;
    const key = costKey(request);
    const kept = costs.get(document);
    const known = key === null ? undefined : kept?.get(key);
    if (known !== undefined) return known;
    const cost = getComplexity({
      schema,
      query: document,
      variables: request.variables ?? undefined,
      operationName,
      estimators: [pageEstimator, simpleEstimator({ defaultComplexity: 1 })],
    });
    if (key !== null) {
      const forDocument = kept && kept.size < COSTS_PER_DOCUMENT ? kept : new Map<string, number>();
      forDocument.set(key, cost);
      costs.set(document, forDocument);
    }
    return cost;
  };
  return (document, request) => {
    let cost: number;
    try {
      cost = costOf(document, request);
    } catch {
      // Variables that do not fit the operation: execution reports them as the client's error.
      return;
    }
    if (cost > OPERATION_LIMITS.maxCost) {
      throw new OperationLimitError(
        `The operation would cost ${cost}, above the limit of ${OPERATION_LIMITS.maxCost}: ask for smaller pages or fewer fields`,
      );
    }
  };
}

/** The cost limit as an Apollo plugin, for the requests Apollo serves itself. */
export function costLimitPlugin(check: ReturnType<typeof costLimit>): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          check(document, request);
        },
      };
    },
  };
}
