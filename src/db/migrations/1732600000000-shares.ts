import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Shares1732600000000 implements MigrationInterface {
  name = 'Shares1732600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE shares (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        node_id uuid NOT NULL UNIQUE REFERENCES nodes (id) ON DELETE CASCADE,
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        md5 char(32) NOT NULL CHECK (md5 ~ '^[0-9a-f]{32}$'),
        name varchar(255) NOT NULL,
        pv int NOT NULL DEFAULT 0 CHECK (pv >= 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT shares_content_key UNIQUE (md5, name)
      )`);
    await runner.query(`CREATE INDEX shares_ranking_idx ON shares (pv DESC, created_at DESC, id)`);
    await runner.query(`CREATE INDEX shares_created_idx ON shares (created_at DESC, id)`);
    await runner.query(`CREATE INDEX shares_owner_idx ON shares (owner_id)`);
    await runner.query(`
      CREATE TABLE picture_shares (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        key char(32) NOT NULL UNIQUE CHECK (key ~ '^[0-9a-f]{32}$'),
        node_id uuid UNIQUE REFERENCES nodes (id) ON DELETE SET NULL,
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name varchar(255) NOT NULL,
        md5 char(32) NOT NULL,
        size bigint NOT NULL,
        pv int NOT NULL DEFAULT 0 CHECK (pv >= 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(
      `CREATE INDEX picture_shares_owner_created_idx ON picture_shares (owner_id, created_at DESC, id)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE picture_shares`);
    await runner.query(`DROP TABLE shares`);
  }
}
