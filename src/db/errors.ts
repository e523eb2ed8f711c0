import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';

/** The name of the unique index or constraint a failed statement violated, if that is why it failed. */
export function violatedUniqueConstraint(error: unknown): string | null {
  if (!(error instanceof QueryFailedError)) return null;
  const driverError = error.driverError as { code?: string; constraint?: string };
  return driverError.code === '23505' ? (driverError.constraint ?? '') : null;
}

/** Whether a failed statement pointed at a row (by foreign key) that is not, or no longer, there. */
export function violatedForeignKey(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23503';
}

/**
 * Whether the server itself refused a statement (an SQLSTATE came back), rather than the connection
 * failing: only then is it certain what became of the statement.
 */
export function refusedByServer(error: unknown): boolean {
  return error instanceof QueryFailedError && error.driverError instanceof DatabaseError;
}
