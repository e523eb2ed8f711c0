/**
 * `npm run storage:migrate -- --from local --to s3` (or back): copies every blob's object to the other
 * store under the same key, reads each copy back and checks its sha256, records it in
 * `storage_copies`, and once every blob has a checked copy switches `storage_backend` to the new
 * store. A run cut short (Ctrl-C, a crash, kill -9) is simply run again: copies already checked are
 * skipped, and an object copied but not yet recorded is written again under the same key, so nothing
 * is duplicated. The old store is left as it was. Instances may keep serving while it copies; it
 * switches only once none is running.
 */
import 'reflect-metadata';
import { PassThrough } from 'node:stream';
import type { DataSource } from 'typeorm';
import { ConfigError, loadConfig, type Config, type StorageKind } from '../config';
import { openDatabase } from '../db/data-source';
import { startEmbeddedPostgres } from '../db/embedded-postgres';
import { recordedStorageKind, STORAGE_LOCK_ID } from '../db/storage-backend';
import { createLogger, type Logger } from '../logger';
import { Shutdown } from '../process/shutdown';
import { blobStoreOf } from '.';
import { ProcessLease } from '../db/process-lease';
import { MissingObjectError, type BlobStore } from './blob-store';
import { digestSink } from './digest-sink';

const KINDS: StorageKind[] = ['local', 's3'];
const BATCH = 100;
/** A foreign key violation: the blob was deleted while its bytes were being copied. */
const FOREIGN_KEY_VIOLATION = '23503';

class MigrationError extends Error {}

function parseArguments(argv: string[]): { from: StorageKind; to: StorageKind } {
  const value = (flag: string) => {
    const index = argv.indexOf(flag);
    const found = index >= 0 ? argv[index + 1] : undefined;
    if (!found || !KINDS.includes(found as StorageKind)) {
      throw new MigrationError(`${flag} must be local or s3 (usage: --from local --to s3)`);
    }
    return found as StorageKind;
  };
  const [from, to] = [value('--from'), value('--to')];
  if (from === to) throw new MigrationError('--from and --to must name different stores');
  return { from, to };
}

interface BlobRow {
  id: string;
  storage_key: string;
  sha256: string;
  size: string;
}

/** Streams the object from one store into the same key of the other. */
async function copyObject(source: BlobStore, target: BlobStore, key: string): Promise<void> {
  const bytes = new PassThrough({ highWaterMark: 1 << 20 });
  const reading = source.writeTo(key, bytes).catch((error: unknown) => {
    // The writer must not wait for bytes that will never come.
    bytes.destroy(error as Error);
    throw error;
  });
  await Promise.all([reading, target.put(key, bytes)]);
}

/** Reads the copy back: its sha256 and size must be the blob's. */
async function checkCopy(target: BlobStore, blob: BlobRow): Promise<void> {
  const { sink, result } = digestSink();
  await target.writeTo(blob.storage_key, sink);
  const landed = result();
  if (landed.sha256 !== blob.sha256 || landed.size !== Number(blob.size)) {
    throw new MigrationError(
      `The copy of ${blob.storage_key} in ${target.location} has sha256 ${landed.sha256} (${landed.size} bytes), ` +
        `not ${blob.sha256} (${blob.size} bytes)`,
    );
  }
}

interface CopySummary {
  copied: number;
  bytes: number;
  /** Blobs whose bytes are not in the source store: the switch would lose them. */
  missing: string[];
}

/** Copies and checks every blob that has no checked copy in `target` yet. */
async function copyPending(
  dataSource: DataSource,
  source: BlobStore,
  target: BlobStore,
  log: Logger,
): Promise<CopySummary> {
  const summary: CopySummary = { copied: 0, bytes: 0, missing: [] };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const batch = await dataSource.query<BlobRow[]>(
      `SELECT b.id, b.storage_key, b.sha256, b.size FROM blobs b
        WHERE b.id > $2
          AND NOT EXISTS (SELECT 1 FROM storage_copies c WHERE c.blob_id = b.id AND c.target = $1)
        ORDER BY b.id LIMIT ${BATCH}`,
      [target.location, after],
    );
    if (batch.length === 0) return summary;
    for (const blob of batch) {
      after = blob.id;
      try {
        await copyObject(source, target, blob.storage_key);
      } catch (error) {
        if (!(error instanceof MissingObjectError)) throw error;
        const [still] = await dataSource.query<unknown[]>(`SELECT 1 FROM blobs WHERE id = $1`, [blob.id]);
        // Deleted meanwhile, bytes and all: nothing to copy. Otherwise its bytes are lost already.
        if (still) summary.missing.push(blob.storage_key);
        continue;
      }
      await checkCopy(target, blob);
      try {
        await dataSource.query(
          `INSERT INTO storage_copies (blob_id, target) VALUES ($1, $2)
           ON CONFLICT (blob_id) DO UPDATE SET target = EXCLUDED.target, copied_at = now()`,
          [blob.id, target.location],
        );
      } catch (error) {
        // Deleted while copied: the copy is an orphan in the new store, which its sweeper removes.
        if ((error as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw error;
        continue;
      }
      summary.copied += 1;
      summary.bytes += Number(blob.size);
    }
    log.info({ copied: summary.copied, bytes: summary.bytes }, 'copying');
  }
}

/**
 * Records `to` as the store of every blob, if every blob has a checked copy there and no server is
 * running (one still writing to the old store would lose its new uploads). False when blobs came
 * in since the last pass: copy them, then try again.
 */
async function switchStore(dataSource: DataSource, to: StorageKind, target: BlobStore): Promise<boolean> {
  return dataSource.transaction(async (manager) => {
    // Every running server holds this lock shared; one that starts now waits for the commit.
    const [{ free }] = await manager.query<{ free: boolean }[]>(
      `SELECT pg_try_advisory_xact_lock($1) AS free`,
      [STORAGE_LOCK_ID],
    );
    if (!free) {
      throw new MigrationError(
        'A running Picvault server uses the database: stop every instance, then run this again to switch ' +
          '(what was copied is kept)',
      );
    }
    await manager.query(`LOCK TABLE blobs IN SHARE MODE`);
    const [{ left }] = await manager.query<{ left: number }[]>(
      `SELECT count(*)::int AS left FROM blobs b
        WHERE NOT EXISTS (SELECT 1 FROM storage_copies c WHERE c.blob_id = b.id AND c.target = $1)`,
      [target.location],
    );
    if (left > 0) return false;
    await manager.query(`UPDATE storage_backend SET kind = $1, changed_at = now()`, [to]);
    await manager.query(`DELETE FROM storage_copies`);
    return true;
  });
}

async function migrate(config: Config, from: StorageKind, to: StorageKind, log: Logger): Promise<void> {
  const shutdown = new Shutdown(log);
  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres(config.DATA_DIR, config.EMBEDDED_PG_PORT, log);
      shutdown.add('embedded postgres', () => embedded.stop());
      databaseUrl = embedded.url;
    }
    const dataSource = await openDatabase(databaseUrl, 2);
    shutdown.add('database pool', () => dataSource.destroy());
    const recorded = await recordedStorageKind(dataSource.manager);
    if (recorded === to) {
      log.info({ store: to }, 'the files are already in that store: nothing to do');
      return;
    }
    if (recorded !== from) throw new MigrationError(`The stored files are in ${recorded}, not ${from}`);
    // Its copies are written as a live process's, so no server's sweep takes one in flight for a leftover.
    const lease = await ProcessLease.acquire(databaseUrl, log);
    shutdown.add('process lease', () => lease.release());
    const [source, target] = await Promise.all([
      blobStoreOf(from, config, lease.owner),
      blobStoreOf(to, config, lease.owner),
    ]);
    for (const store of [source, target]) {
      await store.init();
      shutdown.add(store.location, () => store.destroy());
    }
    log.info({ from: source.location, to: target.location }, 'copying every blob');
    for (;;) {
      const summary = await copyPending(dataSource, source, target, log);
      log.info(summary, 'copied and checked');
      if (summary.missing.length) {
        throw new MigrationError(
          `${summary.missing.length} blob(s) have no bytes in ${source.location} (first: ${summary.missing[0]}): ` +
            'not switching',
        );
      }
      if (await switchStore(dataSource, to, target)) break;
    }
    log.info({ store: to }, `switched: start every instance with STORAGE=${to}`);
  } finally {
    await shutdown.run();
  }
}

async function main(): Promise<void> {
  const log = createLogger('info');
  try {
    const { from, to } = parseArguments(process.argv.slice(2));
    await migrate(loadConfig(), from, to, log);
  } catch (error) {
    if (error instanceof MigrationError || error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      log.fatal({ err: error }, 'the migration failed: run it again to go on');
    }
    process.exitCode = 1;
  }
}

void main();
