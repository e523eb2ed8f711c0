import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API tokens: named, scoped credentials for programs, apart from login sessions so that neither can
 * end the other. Names are unique per account in any letter case; the list pages newest first.
 */
export class ApiTokens1732950000000 implements MigrationInterface {
  name = 'ApiTokens1732950000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE api_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name varchar(64) NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
        token_hash char(64) NOT NULL UNIQUE,
        scope varchar(16) NOT NULL CHECK (scope IN ('upload', 'full')),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        last_used_at timestamptz
      )`);
    await runner.query(`CREATE UNIQUE INDEX api_tokens_user_name_key ON api_tokens (user_id, lower(name))`);
    await runner.query(`CREATE INDEX api_tokens_user_created_idx ON api_tokens (user_id, created_at, id)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE api_tokens`);
  }
}
