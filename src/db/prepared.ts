import type { Pool } from 'pg';
import type { EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/** SQL that the hot paths run over and over: each connection parses and plans it once, by its name. */
export interface PreparedStatement {
  /** Unique among all prepared statements: Postgres keeps one per name and connection. */
  name: string;
  text: string;
}

/**
 * Runs `statement` as a named prepared statement on the pool, outside TypeORM's query builder and
 * runner, which cost more CPU than the lookup itself; inside a transaction, on its connection as
 * plain SQL, since the statement must see the transaction's own writes.
 */
export async function runPrepared<Row>(
  manager: EntityManager,
  statement: PreparedStatement,
  values: unknown[],
): Promise<Row[]> {
  if (manager.queryRunner) return manager.query<Row[]>(statement.text, values);
  const pool = (manager.connection.driver as PostgresDriver).master as Pool;
  const result = await pool.query({ name: statement.name, text: statement.text, values });
  return result.rows as Row[];
}
