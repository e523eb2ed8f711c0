import { createWriteStream } from 'node:fs';
import { mkdir, open, opendir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  MissingObjectError,
  StorageFailure,
  type BlobStore,
  type ByteRange,
  type StoredObject,
} from './blob-store';
import { checkedKey, isStorageKey, newPermanentKey, newTemporaryKey } from './keys';
import { sendFileRange } from './send-file';

/**
 * Files under `DATA_DIR/blobs`: `tmp/<owner>-<uuid>` while uploading, `blobs/<xx>/<owner>-<uuid>`
 * once kept (`owner`: the writing process's; see keys.ts).
 */
export class LocalBlobStore implements BlobStore {
  readonly location: string;

  constructor(
    private readonly root: string,
    private readonly owner: string,
  ) {
    this.location = path.resolve(root);
  }

  async init(): Promise<void> {
    await mkdir(path.join(this.root, 'tmp'), { recursive: true });
    await mkdir(path.join(this.root, 'blobs'), { recursive: true });
  }

  async destroy(): Promise<void> {}

  async writeTemporary(source: Readable): Promise<StoredObject> {
    const key = newTemporaryKey(this.owner);
    const file = this.pathOf(key);
    // `flush` fsyncs before the stream closes, so the bytes are on disk when this resolves.
    const writer = createWriteStream(file, { flags: 'wx', mode: 0o600, flush: true, highWaterMark: 1 << 20 });
    // Which failed first, the disk (ENOSPC, EIO, …) or the source: either failure then ends the other
    // with the same error, so only the order tells the server's condition from the client's.
    const failed: { first?: 'disk' | 'source' } = {};
    writer.once('error', () => (failed.first ??= 'disk'));
    source.once('error', () => (failed.first ??= 'source'));
    try {
      await pipeline(source, writer);
      const { size, mtime } = await stat(file);
      return { key, size, modifiedAt: mtime };
    } catch (error) {
      // pipeline rejects as soon as the source fails, while the file may still be opening: removing
      // it before the writer has closed would let the open create it again, left behind.
      if (!writer.closed) await new Promise<void>((resolve) => writer.once('close', () => resolve()));
      await unlink(file).catch(() => undefined);
      throw failed.first === 'disk' ? new StorageFailure('write an upload', error as Error) : error;
    }
  }

  async put(key: string, source: Readable): Promise<StoredObject> {
    const temporary = await this.writeTemporary(source);
    await this.moveInto(temporary.key, key);
    return { ...temporary, key };
  }

  async promote(temporaryKey: string): Promise<string> {
    const key = newPermanentKey(this.owner);
    await this.moveInto(temporaryKey, key);
    return key;
  }

  /** Renames a temporary file to `key`, durably: the directory entry is fsynced too. */
  private async moveInto(temporaryKey: string, key: string): Promise<void> {
    const target = this.pathOf(key);
    try {
      await mkdir(path.dirname(target), { recursive: true });
      await rename(this.pathOf(temporaryKey), target);
      await syncDirectory(path.dirname(target));
    } catch (error) {
      throw new StorageFailure('keep an upload', error as Error);
    }
  }

  async writeTo(key: string, destination: Writable, range?: ByteRange): Promise<void> {
    let handle;
    try {
      handle = await open(this.pathOf(key), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new MissingObjectError(key);
      throw error;
    }
    try {
      const end = range?.end ?? (await handle.stat()).size - 1;
      await sendFileRange(handle, destination, range?.start ?? 0, end);
    } finally {
      await handle.close();
    }
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      const { size, mtime } = await stat(this.pathOf(key));
      return { key, size, modifiedAt: mtime };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  /** A write in progress here is already a `tmp/` file, which the sweeper finds by its age. */
  async abortUnfinishedWrites(): Promise<number> {
    return 0;
  }

  async *list(prefix: 'tmp/' | 'blobs/'): AsyncIterable<StoredObject> {
    yield* this.walk(prefix.slice(0, -1));
  }

  private async *walk(relative: string): AsyncIterable<StoredObject> {
    let directory;
    try {
      directory = await opendir(path.join(this.root, relative));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for await (const entry of directory) {
      const key = `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        yield* this.walk(key);
      } else if (entry.isFile() && isStorageKey(key)) {
        const found = await this.stat(key);
        if (found) yield found;
      }
    }
  }

  private pathOf(key: string): string {
    return path.join(this.root, checkedKey(key));
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
