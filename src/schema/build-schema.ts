import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type ContainerType } from 'type-graphql';
import { authChecker } from '../resolvers/caller';
import { resolverClasses } from '../resolvers';

/** The one schema every door runs against. Without a container it can be printed but not executed. */
export async function buildAppSchema(container?: ContainerType): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: resolverClasses,
    container,
    authChecker,
    validate: { forbidUnknownValues: false },
  });
  // type-graphql has no place to describe the root types.
  schema.getQueryType()!.description =
    'What can be read. The viewer’s own data needs `Authorization: Bearer <token>` (see `login`); public shares, the ranking and picture shares do not.';
  schema.getMutationType()!.description =
    'What can be changed. Each mutation takes one `input` and answers a payload: the changed objects, or `userErrors` saying what the user can fix.';
  return schema;
}
