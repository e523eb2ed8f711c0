import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * Statement texts each process prepares. Texts are built by our code from fixed fragments (values
 * travel as parameters), so there are a few hundred at most; the bound keeps a bug that put a value
 * into a text from filling every connection's plan cache. Texts past it run unprepared.
 */
const MOST_PREPARED = 1000;
const names = new Map<string, string>();

function nameOf(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MOST_PREPARED) {
    name = `pv_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * Runs a read as a named prepared statement on the pool: each connection parses and plans a text
 * once, where planning alone took longer than running the small reads that requests make most, and
 * TypeORM's query runner, which costs more CPU than the lookup itself, is left out. Inside a
 * transaction it runs on the transaction's connection as plain SQL, since it must see the
 * transaction's own writes.
 */
export async function runPrepared<Row>(
  manager: EntityManager,
  text: string,
  values: unknown[],
): Promise<Row[]> {
  if (manager.queryRunner) return manager.query<Row[]>(text, values);
  const pool = (manager.connection.driver as PostgresDriver).master as Pool;
  const result = await pool.query({ name: nameOf(text), text, values });
  return result.rows as Row[];
}
