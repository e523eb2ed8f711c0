import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { GraphQLURL } from 'graphql-scalars';

function byteCount(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new GraphQLError('A byte count is a whole number from 0 to 2^53 - 1');
  }
  return value;
}

/** Sizes in bytes: whole numbers a JSON number carries exactly, where Float would take `1.5`. */
export const ByteCountScalar = new GraphQLScalarType({
  name: 'ByteCount',
  description: 'A number of bytes: a whole number from 0 to 2^53 - 1 (9 PB), exact in any JSON parser.',
  serialize: byteCount,
  parseValue: byteCount,
  parseLiteral(ast) {
    if (ast.kind !== Kind.INT) throw new GraphQLError('A byte count is a whole number', { nodes: ast });
    return byteCount(Number(ast.value));
  },
});

/** Absolute URLs, as graphql-scalars checks them. */
export const UrlScalar = new GraphQLScalarType({
  ...GraphQLURL.toConfig(),
  description: 'An absolute URL (RFC 3986), such as `https://pics.example/p/0f3c…`.',
});
