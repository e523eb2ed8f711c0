import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Storage quotas. `users.used_bytes` is the sum of the sizes of a user's files (each file counts in
 * full, however many share its content), kept exact by triggers on `nodes`, so that no code path that
 * adds or removes a file can forget it. `quota_bytes` null means DEFAULT_QUOTA_BYTES applies.
 */
export class Quotas1732700000000 implements MigrationInterface {
  name = 'Quotas1732700000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE users
        ADD COLUMN quota_bytes bigint CHECK (quota_bytes >= 0),
        ADD COLUMN used_bytes bigint NOT NULL DEFAULT 0 CHECK (used_bytes >= 0),
        ADD COLUMN is_admin boolean NOT NULL DEFAULT false`);
    await runner.query(`
      UPDATE users u SET used_bytes = t.bytes
        FROM (SELECT n.owner_id, sum(b.size) AS bytes FROM nodes n JOIN blobs b ON b.id = n.blob_id
               GROUP BY n.owner_id) t
       WHERE u.id = t.owner_id`);
    await runner.query(`
      CREATE FUNCTION nodes_count_added_bytes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE users SET used_bytes = used_bytes + (SELECT size FROM blobs WHERE id = NEW.blob_id)
         WHERE id = NEW.owner_id;
        RETURN NULL;
      END $$`);
    await runner.query(`
      CREATE TRIGGER nodes_added_bytes AFTER INSERT ON nodes
        FOR EACH ROW WHEN (NEW.blob_id IS NOT NULL) EXECUTE FUNCTION nodes_count_added_bytes()`);
    await runner.query(`
      CREATE FUNCTION nodes_count_replaced_bytes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE users
           SET used_bytes = used_bytes + (SELECT size FROM blobs WHERE id = NEW.blob_id)
                                       - (SELECT size FROM blobs WHERE id = OLD.blob_id)
         WHERE id = NEW.owner_id;
        RETURN NULL;
      END $$`);
    await runner.query(`
      CREATE TRIGGER nodes_replaced_bytes AFTER UPDATE OF blob_id ON nodes
        FOR EACH ROW WHEN (OLD.blob_id IS DISTINCT FROM NEW.blob_id)
        EXECUTE FUNCTION nodes_count_replaced_bytes()`);
    // Statement level: deleting a folder removes thousands of rows in one statement.
    await runner.query(`
      CREATE FUNCTION nodes_count_removed_bytes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE users u SET used_bytes = u.used_bytes - r.bytes
          FROM (SELECT o.owner_id, sum(b.size) AS bytes FROM removed o JOIN blobs b ON b.id = o.blob_id
                 GROUP BY o.owner_id) r
         WHERE u.id = r.owner_id;
        RETURN NULL;
      END $$`);
    await runner.query(`
      CREATE TRIGGER nodes_removed_bytes AFTER DELETE ON nodes REFERENCING OLD TABLE AS removed
        FOR EACH STATEMENT EXECUTE FUNCTION nodes_count_removed_bytes()`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TRIGGER nodes_removed_bytes ON nodes`);
    await runner.query(`DROP TRIGGER nodes_replaced_bytes ON nodes`);
    await runner.query(`DROP TRIGGER nodes_added_bytes ON nodes`);
    await runner.query(
      `DROP FUNCTION nodes_count_removed_bytes, nodes_count_replaced_bytes, nodes_count_added_bytes`,
    );
    await runner.query(
      `ALTER TABLE users DROP COLUMN is_admin, DROP COLUMN used_bytes, DROP COLUMN quota_bytes`,
    );
  }
}
