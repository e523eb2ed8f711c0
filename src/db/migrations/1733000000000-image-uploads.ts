import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The account that owns anonymous image uploads (sm.ms doors): it has no password, so nobody signs in as it. */
export const ANONYMOUS_UPLOADER_ID = '00000000-0000-4000-8000-00000000a404';

/**
 * Image uploads of the sm.ms doors: a file in the uploader's drive with a permanent public path
 * (`/i/<yyyy>/<mm>/<dd>/<storename>`), the hash of its delete token, and the client address and API
 * token it came with, for the "uploads of the last hour" and "this token's uploads" lists. A row dies
 * with its file.
 */
export class ImageUploads1733000000000 implements MigrationInterface {
  name = 'ImageUploads1733000000000';

  async up(runner: QueryRunner): Promise<void> {
    // A random suffix: an earlier registration may hold any plain name.
    await runner.query(
      `INSERT INTO users (id, user_name, nick_name, password_hash)
       VALUES ($1, 'anonymous-' || substr(md5(random()::text), 1, 10), 'anonymous', NULL)`,
      [ANONYMOUS_UPLOADER_ID],
    );
    await runner.query(`
      CREATE TABLE image_uploads (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        node_id uuid NOT NULL UNIQUE REFERENCES nodes (id) ON DELETE CASCADE,
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        path varchar(64) NOT NULL UNIQUE,
        filename varchar(255) NOT NULL,
        delete_hash char(64) NOT NULL UNIQUE,
        client_ip inet,
        api_token_id uuid REFERENCES api_tokens (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        history_cleared_at timestamptz
      )`);
    await runner.query(`CREATE INDEX image_uploads_ip_idx ON image_uploads (client_ip, created_at DESC)`);
    await runner.query(
      `CREATE INDEX image_uploads_owner_idx ON image_uploads (owner_id, created_at DESC, id DESC)`,
    );
    await runner.query(
      `CREATE INDEX image_uploads_token_idx ON image_uploads (api_token_id, created_at DESC, id DESC)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE image_uploads`);
    await runner.query(`DELETE FROM users WHERE id = $1`, [ANONYMOUS_UPLOADER_ID]);
  }
}
