import type { EntityManager } from 'typeorm';

/**
 * Runs an UPDATE or DELETE … RETURNING and gives back its rows. TypeORM's postgres driver answers
 * such statements with `[rows, affectedCount]`, unlike SELECT and INSERT.
 */
export async function returningRows<Row>(
  manager: EntityManager,
  sql: string,
  parameters: unknown[],
): Promise<Row[]> {
  const result = await manager.query<[Row[], number]>(sql, parameters);
  return result[0];
}
