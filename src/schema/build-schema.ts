import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type ContainerType } from 'type-graphql';
import { authChecker } from '../resolvers/caller';
import { resolverClasses } from '../resolvers';

/** The one schema every door runs against. Without a container it can be printed but not executed. */
export function buildAppSchema(container?: ContainerType): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: resolverClasses,
    container,
    authChecker,
    validate: { forbidUnknownValues: false },
  });
}
