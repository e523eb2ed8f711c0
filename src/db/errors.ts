import { DatabaseError } from 'pg';
import {
  QueryFailedError,
  QueryRunnerAlreadyReleasedError,
  QueryRunnerProviderAlreadyReleasedError,
} from 'typeorm';

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

/** How Node reports a connection that cannot be made or was cut. */
const NETWORK_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
/** SQLSTATEs of a server that is shutting down, starting up or gone (class 08 aside). */
const SERVER_GOING = new Set(['57P01', '57P02', '57P03']);
/** What pg says, with no code, of a connection lost or not had in time. */
const LOST_CONNECTION =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/**
 * Whether a statement failed because the database is out of reach (down, restarting, not accepting
 * connections, a connection lost): the server's condition, which passes, not the request's fault.
 */
export function databaseUnavailable(error: unknown): boolean {
  // TypeORM releases a transaction's connection when it breaks; the next statement of it says so.
  if (
    error instanceof QueryRunnerAlreadyReleasedError ||
    error instanceof QueryRunnerProviderAlreadyReleasedError
  ) {
    return true;
  }
  const failure = error instanceof QueryFailedError ? (error.driverError as unknown) : error;
  if (!(failure instanceof Error)) return false;
  const code = (failure as NodeJS.ErrnoException).code ?? '';
  if (failure instanceof DatabaseError) return code.startsWith('08') || SERVER_GOING.has(code);
  return NETWORK_FAILURES.has(code) || LOST_CONNECTION.test(failure.message);
}
