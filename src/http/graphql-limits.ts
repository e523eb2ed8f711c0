import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
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

/**
 * The cost limit, which depends on the variables (a page size may be one), so it is checked for
 * every request once its operation is known.
 */
export function costLimitPlugin(schema: GraphQLSchema): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              variables: request.variables,
              operationName: request.operationName,
              estimators: [pageEstimator, simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch {
            // Variables that do not fit the operation: execution reports them as the client's error.
            return;
          }
          if (cost > OPERATION_LIMITS.maxCost) {
            throw new OperationLimitError(
              `The operation would cost ${cost}, above the limit of ${OPERATION_LIMITS.maxCost}: ask for smaller pages or fewer fields`,
            );
          }
        },
      };
    },
  };
}
