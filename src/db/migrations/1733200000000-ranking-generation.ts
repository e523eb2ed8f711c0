import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The generation of the download ranking's copy in Redis. It goes up whenever that copy may have
 * missed a change (a write to Redis failed, or the connection to it was lost, so Redis may have come
 * back with older saved data); a copy built at another generation is not trusted. It lives here, not
 * in Redis, so that it survives whatever happens to Redis.
 */
export class RankingGeneration1733200000000 implements MigrationInterface {
  name = 'RankingGeneration1733200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE ranking_generation (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        generation bigint NOT NULL DEFAULT 0
      )`);
    await runner.query(`INSERT INTO ranking_generation DEFAULT VALUES`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE ranking_generation`);
  }
}
