import type { BlobStore } from '../../src/storage/blob-store';
import { digestSink } from '../../src/storage/digest-sink';
import { withDatabase } from './database';

/** What must hold of a server's database and store whatever happened to it, once its sweeps have run. */
export interface InvariantReport {
  /** Each broken rule, as a sentence naming the rows or objects that break it; empty when all hold. */
  violations: string[];
  blobs: number;
  nodes: number;
}

interface BlobRow {
  id: string;
  storage_key: string;
  sha256: string;
  /** bigint, as pg gives it: a string. */
  size: string;
}

/** Rules the database alone answers: each query returns the rows that break its rule. */
const DATABASE_RULES: { rule: string; query: string }[] = [
  {
    rule: 'a blob’s ref_count is not the number of files that reference it',
    query: `SELECT b.id FROM blobs b LEFT JOIN nodes n ON n.blob_id = b.id
            GROUP BY b.id HAVING b.ref_count <> count(n.id)`,
  },
  {
    rule: 'a node’s folder is gone',
    query: `SELECT n.id, n.dir, n.name FROM nodes n WHERE n.dir <> '/' AND NOT EXISTS (
              SELECT 1 FROM nodes f WHERE f.owner_id = n.owner_id AND f.kind = 'folder'
                AND f.dir || f.name || '/' = n.dir)`,
  },
  {
    rule: 'a file has no blob, or a folder has one',
    query: `SELECT id FROM nodes WHERE (kind = 'file') <> (blob_id IS NOT NULL)`,
  },
  {
    rule: 'a user’s used_bytes is not the sum of their files’ sizes',
    query: `SELECT u.id FROM users u LEFT JOIN nodes n ON n.owner_id = u.id AND n.kind = 'file'
            LEFT JOIN blobs b ON b.id = n.blob_id
            GROUP BY u.id HAVING u.used_bytes <> coalesce(sum(b.size), 0)`,
  },
];

/** The sha256 and length of a stored object, read through the store as a download would. */
async function digestOf(store: BlobStore, key: string): Promise<{ sha256: string; size: number }> {
  const { sink, result } = digestSink();
  await store.writeTo(key, sink);
  return result();
}

/**
 * Checks a server's state against the rules no fault may break: every file's bytes are stored with
 * the sha256 and size its blob records; every blob's ref_count is its number of files; every stored
 * object belongs to a blob; no temporary object is left (so: after the sweep); no node outlives its
 * folder; each user's usage is the sum of their files. Reads every stored byte once.
 */
export function checkInvariants(databaseUrl: string, store: BlobStore): Promise<InvariantReport> {
  return withDatabase(databaseUrl, async (client) => {
    const violations: string[] = [];
    for (const { rule, query } of DATABASE_RULES) {
      const { rows } = await client.query(query);
      if (rows.length) violations.push(`${rule}: ${JSON.stringify(rows.slice(0, 5))}`);
    }
    const { rows: blobs } = await client.query<BlobRow>(`SELECT id, storage_key, sha256, size FROM blobs`);
    const stored = new Set<string>();
    for await (const object of store.list('blobs/')) stored.add(object.key);
    for (const blob of blobs) {
      if (!stored.delete(blob.storage_key)) {
        violations.push(`blob ${blob.id} has no stored object (${blob.storage_key})`);
        continue;
      }
      const found = await digestOf(store, blob.storage_key);
      if (found.sha256 !== blob.sha256 || String(found.size) !== blob.size) {
        violations.push(
          `blob ${blob.id} records ${blob.size} bytes of sha256 ${blob.sha256}, its object holds ` +
            `${found.size} of ${found.sha256}`,
        );
      }
    }
    if (stored.size)
      violations.push(`stored objects no blob points at: ${[...stored].slice(0, 5).join(', ')}`);
    const temporary: string[] = [];
    for await (const object of store.list('tmp/')) temporary.push(object.key);
    if (temporary.length) violations.push(`temporary objects left: ${temporary.slice(0, 5).join(', ')}`);
    const [{ count }] = (await client.query<{ count: number }>(`SELECT count(*)::int AS count FROM nodes`))
      .rows;
    return { violations, blobs: blobs.length, nodes: count };
  });
}
