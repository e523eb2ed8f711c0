import { Blob } from '../entities/blob.entity';
import { DriveItem, type DriveItemKind } from '../entities/drive-item.entity';

/** The columns of a drive item (`n`) and its blob (`b`, left-joined) that `driveItemOf` maps. */
export const DRIVE_ITEM_COLUMNS = `
  n.id, n.owner_id, n.kind, n.dir, n.name, n.blob_id, n.pv, n.created_at, n.updated_at,
  b.sha256, b.md5, b.size, b.content_type, b.width, b.height, b.storage_key, b.ref_count,
  b.created_at AS blob_created_at`;

export interface DriveItemRow {
  id: string;
  owner_id: string;
  kind: DriveItemKind;
  dir: string;
  name: string;
  blob_id: string | null;
  pv: number;
  created_at: Date;
  updated_at: Date;
  sha256: string | null;
  md5: string | null;
  size: string | null;
  content_type: string | null;
  width: number | null;
  height: number | null;
  storage_key: string | null;
  ref_count: number | null;
  blob_created_at: Date | null;
}

/** The entity a row of DRIVE_ITEM_COLUMNS describes, as TypeORM would have loaded it. */
export function driveItemOf(row: DriveItemRow): DriveItem {
  const item = Object.assign(new DriveItem(), {
    id: row.id,
    ownerId: row.owner_id,
    kind: row.kind,
    dir: row.dir,
    name: row.name,
    blobId: row.blob_id,
    pv: row.pv,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
  item.blob = row.blob_id
    ? Object.assign(new Blob(), {
        id: row.blob_id,
        sha256: row.sha256!,
        md5: row.md5!,
        size: Number(row.size),
        contentType: row.content_type!,
        width: row.width,
        height: row.height,
        storageKey: row.storage_key!,
        refCount: row.ref_count!,
        createdAt: row.blob_created_at!,
      })
    : null;
  return item;
}
