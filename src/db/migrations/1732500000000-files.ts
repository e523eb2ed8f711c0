import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Files1732500000000 implements MigrationInterface {
  name = 'Files1732500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE blobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sha256 char(64) NOT NULL UNIQUE,
        md5 char(32) NOT NULL,
        size bigint NOT NULL CHECK (size >= 0),
        content_type varchar(127) NOT NULL,
        width int,
        height int,
        storage_key varchar(255) NOT NULL UNIQUE,
        ref_count int NOT NULL CHECK (ref_count >= 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`CREATE INDEX blobs_md5_idx ON blobs (md5)`);
    await runner.query(`
      CREATE TABLE nodes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind varchar(8) NOT NULL CHECK (kind IN ('file', 'folder')),
        dir text NOT NULL CHECK (dir LIKE '/%' AND right(dir, 1) = '/'),
        name varchar(255) NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
        blob_id uuid REFERENCES blobs (id),
        pv int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'file') = (blob_id IS NOT NULL))
      )`);
    await runner.query(`CREATE UNIQUE INDEX nodes_path_key ON nodes (owner_id, dir, name)`);
    await runner.query(`CREATE INDEX nodes_dir_prefix_idx ON nodes (owner_id, dir text_pattern_ops)`);
    await runner.query(`CREATE INDEX nodes_owner_created_idx ON nodes (owner_id, created_at DESC, id)`);
    await runner.query(`CREATE INDEX nodes_owner_pv_idx ON nodes (owner_id, pv, created_at DESC, id)`);
    await runner.query(`CREATE INDEX nodes_blob_idx ON nodes (blob_id)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE nodes`);
    await runner.query(`DROP TABLE blobs`);
  }
}
