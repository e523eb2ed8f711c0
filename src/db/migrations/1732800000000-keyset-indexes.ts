import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for keyset pages. Each list orders by a column and then by id, both the same way, so that
 * one row comparison places a page and an index in that order (read forwards or backwards) serves it.
 * They replace indexes for orders with a mixed direction.
 */
export class KeysetIndexes1732800000000 implements MigrationInterface {
  name = 'KeysetIndexes1732800000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX nodes_owner_created_idx`);
    await runner.query(`DROP INDEX nodes_owner_pv_idx`);
    await runner.query(`DROP INDEX shares_ranking_idx`);
    await runner.query(`DROP INDEX shares_created_idx`);
    await runner.query(`DROP INDEX picture_shares_owner_created_idx`);
    await runner.query(`CREATE INDEX nodes_owner_created_idx ON nodes (owner_id, created_at, id)`);
    await runner.query(`CREATE INDEX nodes_owner_updated_idx ON nodes (owner_id, updated_at, id)`);
    await runner.query(`CREATE INDEX nodes_owner_name_idx ON nodes (owner_id, name, id)`);
    await runner.query(`CREATE INDEX nodes_owner_pv_idx ON nodes (owner_id, pv, id)`);
    await runner.query(`CREATE INDEX shares_ranking_idx ON shares (pv, created_at, id)`);
    await runner.query(`CREATE INDEX shares_created_idx ON shares (created_at, id)`);
    await runner.query(`CREATE INDEX shares_owner_created_idx ON shares (owner_id, created_at, id)`);
    await runner.query(`DROP INDEX shares_owner_idx`);
    await runner.query(
      `CREATE INDEX picture_shares_owner_created_idx ON picture_shares (owner_id, created_at, id)`,
    );
    await runner.query(`CREATE INDEX sessions_user_created_idx ON sessions (user_id, created_at, id)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX sessions_user_created_idx`);
    await runner.query(`DROP INDEX picture_shares_owner_created_idx`);
    await runner.query(`DROP INDEX shares_owner_created_idx`);
    await runner.query(`CREATE INDEX shares_owner_idx ON shares (owner_id)`);
    await runner.query(`DROP INDEX shares_created_idx`);
    await runner.query(`DROP INDEX shares_ranking_idx`);
    await runner.query(`DROP INDEX nodes_owner_pv_idx`);
    await runner.query(`DROP INDEX nodes_owner_name_idx`);
    await runner.query(`DROP INDEX nodes_owner_updated_idx`);
    await runner.query(`DROP INDEX nodes_owner_created_idx`);
    await runner.query(
      `CREATE INDEX picture_shares_owner_created_idx ON picture_shares (owner_id, created_at DESC, id)`,
    );
    await runner.query(`CREATE INDEX shares_created_idx ON shares (created_at DESC, id)`);
    await runner.query(`CREATE INDEX shares_ranking_idx ON shares (pv DESC, created_at DESC, id)`);
    await runner.query(`CREATE INDEX nodes_owner_pv_idx ON nodes (owner_id, pv, created_at DESC, id)`);
    await runner.query(`CREATE INDEX nodes_owner_created_idx ON nodes (owner_id, created_at DESC, id)`);
  }
}
