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

/** SQLSTATE classes of the connection or the server going away, after which a COMMIT's fate is unknown. */
const CONNECTION_LOST_CLASSES = new Set(['08', '57', '58', 'XX']);

/**
 * Whether the server refused a statement, rather than the connection or the server failing under it:
 * only then is it certain that the statement, a COMMIT included, took no effect.
 */
export function refusedByServer(error: unknown): boolean {
  if (!(error instanceof QueryFailedError) || !(error.driverError instanceof DatabaseError)) return false;
  return !CONNECTION_LOST_CLASSES.has((error.driverError.code ?? '').slice(0, 2));
}
