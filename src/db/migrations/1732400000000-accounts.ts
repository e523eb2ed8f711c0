import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Accounts1732400000000 implements MigrationInterface {
  name = 'Accounts1732400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_name varchar(32) NOT NULL CHECK (char_length(user_name) BETWEEN 1 AND 32),
        nick_name varchar(32) NOT NULL,
        email varchar(254),
        phone varchar(16),
        password_hash text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`CREATE UNIQUE INDEX users_user_name_key ON users (lower(user_name))`);
    await runner.query(`CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL`);
    await runner.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash char(64) NOT NULL UNIQUE,
        kind varchar(16) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        last_used_at timestamptz NOT NULL DEFAULT now(),
        ip inet,
        user_agent varchar(512)
      )`);
    await runner.query(`CREATE INDEX sessions_user_id_idx ON sessions (user_id)`);
    await runner.query(`CREATE INDEX sessions_expires_at_idx ON sessions (expires_at)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE sessions`);
    await runner.query(`DROP TABLE users`);
  }
}
