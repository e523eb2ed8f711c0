import 'reflect-metadata';
import { validateOrReject, type ValidationError, type ValidatorOptions } from 'class-validator';
import type { GraphQLSchema } from 'graphql';
import { ArgumentValidationError, buildSchema, type ContainerType, type ValidatorFn } from 'type-graphql';
import { authChecker } from '../resolvers/caller';
import { resolverClasses } from '../resolvers';

/** As type-graphql validates with `validate: true`: nested properties left out are not checked here. */
const VALIDATOR_OPTIONS: ValidatorOptions = { skipMissingProperties: true, forbidUnknownValues: false };

const isValidatable = (value: unknown): value is object => value !== null && typeof value === 'object';

/**
 * Checks an argument's class-validator rules, as type-graphql does by itself, which `require`s
 * class-validator anew for every argument it checks: resolving the module each time cost more than
 * the checks of a small query.
 */
const validateArgument: ValidatorFn = async (value: unknown) => {
  if (!isValidatable(value)) return;
  try {
    const objects = Array.isArray(value) ? value.filter(isValidatable) : [value];
    await Promise.all(objects.map((object) => validateOrReject(object, VALIDATOR_OPTIONS)));
  } catch (errors) {
    throw new ArgumentValidationError(errors as ValidationError[]);
  }
};

/** The one schema every door runs against. Without a container it can be printed but not executed. */
export async function buildAppSchema(container?: ContainerType): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: resolverClasses,
    container,
    authChecker,
    validateFn: validateArgument,
  });
  // type-graphql has no place to describe the root types.
  schema.getQueryType()!.description =
    'What can be read. The viewer’s own data needs `Authorization: Bearer <token>` (see `login`); public shares, the ranking and picture shares do not.';
  schema.getMutationType()!.description =
    'What can be changed. Each mutation takes one `input` and answers a payload: the changed objects, or `userErrors` saying what the user can fix.';
  return schema;
}
