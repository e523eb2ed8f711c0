import type { RequestContext } from '../context';
import { runPrepared } from '../db/prepared';
import type { Blob } from '../entities/blob.entity';

/** What serving a file's bytes needs to know of it: its name and its stored content. */
export interface ServableFile {
  name: string;
  blob: Pick<Blob, 'sha256' | 'contentType' | 'createdAt' | 'size' | 'storageKey'>;
}

interface ServableRow {
  name: string;
  sha256: string;
  content_type: string;
  created_at: Date;
  size: string;
  storage_key: string;
}

/**
 * The lookup of one file for serving: `from` reaches the file's node as `n` and `where` finds it by
 * whatever the URL names (a share, a picture key, an image path, the file's own id) as `$1`. Public
 * URLs are what an image host serves most, so each is one statement, planned once.
 */
export function servableFileStatement(from: string, where: string): string {
  return `SELECT n.name, b.sha256, b.content_type, b.created_at, b.size, b.storage_key
            ${from} JOIN blobs b ON b.id = n.blob_id
           WHERE ${where} AND n.kind = 'file'`;
}

export async function findServableFile(
  context: RequestContext,
  statement: string,
  key: string,
): Promise<ServableFile | null> {
  const [row] = await runPrepared<ServableRow>(context.manager, statement, [key]);
  if (!row) return null;
  return {
    name: row.name,
    blob: {
      sha256: row.sha256,
      contentType: row.content_type,
      createdAt: row.created_at,
      size: Number(row.size),
      storageKey: row.storage_key,
    },
  };
}
