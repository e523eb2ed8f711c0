import { Client } from 'pg';

/**
 * Records the SQL of every statement this process sends to Postgres while `work` runs, whichever
 * way it goes (TypeORM's query runner or a prepared statement on the pool): both end in a pg
 * client's `query`.
 */
export async function statementsDuring(work: () => Promise<void>): Promise<string[]> {
  const query = jest.spyOn(Client.prototype, 'query');
  try {
    await work();
    return query.mock.calls.map(([statement]) =>
      typeof statement === 'string' ? statement : String((statement as { text?: unknown }).text),
    );
  } finally {
    query.mockRestore();
  }
}
