import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which store holds the blobs' bytes (`storage_backend`, one row), so that a server started with the
 * other STORAGE refuses to serve from an empty store, and `storage:migrate` can switch it; and the
 * copies that a migration has made and verified so far (`storage_copies`), so that a run cut short
 * goes on where it stopped. Every database made before this held its blobs on local disk.
 */
export class StorageBackend1733100000000 implements MigrationInterface {
  name = 'StorageBackend1733100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE storage_backend (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        kind varchar(8) NOT NULL CHECK (kind IN ('local', 's3')),
        changed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`INSERT INTO storage_backend (kind) VALUES ('local')`);
    await runner.query(`
      CREATE TABLE storage_copies (
        blob_id uuid PRIMARY KEY REFERENCES blobs (id) ON DELETE CASCADE,
        target text NOT NULL,
        copied_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE storage_copies`);
    await runner.query(`DROP TABLE storage_backend`);
  }
}
