import { registerDecorator, type ValidationArguments } from 'class-validator';
import { AppError } from '../app-error';
import { apiTokenNameProblem } from '../services/api-token.service';
import { nameProblem, toDir } from '../services/paths';

/** A class-validator decorator from a function that tells what is wrong with a value, or null. */
function checkedBy(problem: (value: unknown, property: string) => string | null): PropertyDecorator {
  return (target, propertyName) => {
    registerDecorator({
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown, args: ValidationArguments) => problem(value, args.property) === null,
        defaultMessage: (args?: ValidationArguments) =>
          args ? (problem(args.value, args.property) ?? '') : 'invalid value',
      },
    });
  };
}

/** A file or folder name, by the same rule as the tree itself (`paths.nameProblem`). */
export const IsNodeName = () =>
  checkedBy((value, property) =>
    typeof value === 'string' ? nameProblem(value, property) : `${property} must be a string`,
  );

/** A folder path such as `/photos/2024`, by the same rule as the tree itself (`paths.toDir`). */
export const IsFolderPath = () =>
  checkedBy((value, property) => {
    if (typeof value !== 'string') return `${property} must be a string`;
    try {
      toDir(value);
      return null;
    } catch (error) {
      if (error instanceof AppError) return `${property}: ${error.message}`;
      throw error;
    }
  });

/** An account name: a node name of at most 32 characters with no outer spaces. */
export const IsUserName = () =>
  checkedBy((value, property) => {
    if (typeof value !== 'string') return `${property} must be a string`;
    if (value.length > 32) return `${property} must be at most 32 characters long`;
    if (value.trim() !== value) return `${property} cannot start or end with spaces`;
    return nameProblem(value, property);
  });

/** An API token's name, by the rule its service keeps (`apiTokenNameProblem`). */
export const IsApiTokenName = () =>
  checkedBy((value, property) =>
    typeof value === 'string' ? apiTokenNameProblem(value, property) : `${property} must be a string`,
  );
