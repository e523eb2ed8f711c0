import { DatabaseError } from 'pg';
import {
  QueryFailedError,
  QueryRunnerAlreadyReleasedError,
  QueryRunnerProviderAlreadyReleasedError,
} from 'typeorm';
import { databaseUnavailable } from '../../src/db/errors';

const serverError = (code: string) => {
  const error = new DatabaseError('refused', 0, 'error');
  error.code = code;
  return new QueryFailedError('SELECT 1', [], error);
};

describe('databaseUnavailable', () => {
  it('takes a lost or refused connection, and a transaction whose connection TypeORM released, for an outage', () => {
    expect(databaseUnavailable(serverError('57P01'))).toBe(true);
    expect(databaseUnavailable(serverError('08006'))).toBe(true);
    expect(
      databaseUnavailable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    expect(databaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(databaseUnavailable(new QueryRunnerProviderAlreadyReleasedError())).toBe(true);
    expect(databaseUnavailable(new QueryRunnerAlreadyReleasedError())).toBe(true);
  });

  it('does not take a refused statement or a bug for one', () => {
    expect(databaseUnavailable(serverError('23505'))).toBe(false);
    expect(databaseUnavailable(serverError('42601'))).toBe(false);
    expect(databaseUnavailable(new TypeError('x is undefined'))).toBe(false);
  });
});
