import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type ValidationRule } from 'graphql';
import { ErrorCode } from '../schema/error-code';

/**
 * PostgreSQL text cannot hold U+0000, so a string carrying one can never be stored or matched: it is
 * refused as the client's mistake where it enters, in the document or in the variables, before
 * anything runs.
 */
const NUL = '\u0000';

const refusal = () =>
  new GraphQLError('Strings may not contain the NUL character (U+0000)', {
    extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } },
  });

export const nulFreeLiteralsRule: ValidationRule = (context) => ({
  StringValue(node) {
    if (node.value.includes(NUL)) context.reportError(refusal());
  },
});

/** Whether a JSON value holds a NUL anywhere; an upload (not plain data) holds none. */
function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(NUL);
  if (Array.isArray(value)) return value.some(holdsNul);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.entries(value).some(([key, entry]) => key.includes(NUL) || holdsNul(entry));
  }
  return false;
}

/** Throws the client's mistake when the variables hold a NUL anywhere. */
export function refuseNulVariables(variables: unknown): void {
  if (holdsNul(variables)) throw refusal();
}

export const nulFreeVariablesPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request }) {
        refuseNulVariables(request.variables);
      },
    };
  },
};
