import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Blob } from '../entities/blob.entity';
import { DriveItem } from '../entities/drive-item.entity';
import { PictureShare } from '../entities/picture-share.entity';
import { Session } from '../entities/session.entity';
import { Share } from '../entities/share.entity';
import { User } from '../entities/user.entity';
import { Accounts1732400000000 } from './migrations/1732400000000-accounts';
import { Files1732500000000 } from './migrations/1732500000000-files';
import { Shares1732600000000 } from './migrations/1732600000000-shares';
import { Quotas1732700000000 } from './migrations/1732700000000-quotas';
import { KeysetIndexes1732800000000 } from './migrations/1732800000000-keyset-indexes';
import { Netdisk1732900000000 } from './migrations/1732900000000-netdisk';
import { ApiTokens1732950000000 } from './migrations/1732950000000-api-tokens';
import { ImageUploads1733000000000 } from './migrations/1733000000000-image-uploads';
import { StorageBackend1733100000000 } from './migrations/1733100000000-storage-backend';
import { RankingGeneration1733200000000 } from './migrations/1733200000000-ranking-generation';

const MIGRATION_LOCK_ID = 7261001;
const CONNECT_TIMEOUT_MS = 5000;

export const entities = [User, Session, Blob, DriveItem, Share, PictureShare];
export const migrations = [
  Accounts1732400000000,
  Files1732500000000,
  Shares1732600000000,
  Quotas1732700000000,
  KeysetIndexes1732800000000,
  Netdisk1732900000000,
  ApiTokens1732950000000,
  ImageUploads1733000000000,
  StorageBackend1733100000000,
  RankingGeneration1733200000000,
];

export function createDataSource(url: string, poolSize = 10): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    poolSize,
    // A connection not had in time (the database is down, or every connection is busy for that long)
    // fails the request as UNAVAILABLE rather than holding it for ever.
    connectTimeoutMS: CONNECT_TIMEOUT_MS,
    // A where-clause with `undefined` or `null` must never silently match every row.
    invalidWhereValuesBehavior: { null: 'throw', undefined: 'throw' },
  });
}

/** Connects and brings the schema up to date; safe to call from several processes at once. */
export async function openDatabase(url: string, poolSize?: number): Promise<DataSource> {
  const dataSource = createDataSource(url, poolSize);
  await dataSource.initialize();
  // A session-level lock on a connection outside the pool (which may hold just one), so two servers
  // starting together migrate once.
  const lockHolder = new Client({ connectionString: url });
  await lockHolder.connect();
  try {
    await lockHolder.query(`SELECT pg_advisory_lock($1)`, [MIGRATION_LOCK_ID]);
    await dataSource.runMigrations();
  } finally {
    await lockHolder.end();
  }
  return dataSource;
}

/** The URL a data source connects with, for a connection of its own outside the pool. */
export function databaseUrlOf(dataSource: DataSource): string {
  const { url } = dataSource.options as { url?: string };
  if (!url) throw new Error('The data source was opened without a URL');
  return url;
}
