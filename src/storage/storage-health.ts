import { Readable, type Writable } from 'node:stream';
import type { Logger } from '../logger';
import {
  StorageFailure,
  type AbandonedWrite,
  type BlobStore,
  type ByteRange,
  type StoredObject,
} from './blob-store';

/** While writes fail, `/healthz` tries a write of its own at most this often, to see them work again. */
const PROBE_INTERVAL_MS = 10_000;

export interface StorageStatus {
  writable: boolean;
  /** Why writes fail, and since when; absent while they work. */
  cause?: string;
  since?: string;
}

/**
 * A store whose writes report whether they work: every failure is logged at error level with its
 * cause, the store counts as failing from then until a write succeeds, and `status` (for
 * `/healthz`) says so. A store nobody writes to meanwhile is probed with a one-byte write.
 */
export class HealthReportingBlobStore implements BlobStore {
  readonly location: string;
  private failing: { since: Date; cause: string } | null = null;
  private lastProbe = 0;

  constructor(
    private readonly store: BlobStore,
    private readonly logger: Logger,
  ) {
    this.location = store.location;
  }

  async status(): Promise<StorageStatus> {
    if (this.failing && Date.now() - this.lastProbe >= PROBE_INTERVAL_MS) {
      this.lastProbe = Date.now();
      const probe = await this.writeTemporary(Readable.from([Buffer.from('.')])).catch(() => null);
      if (probe) await this.store.delete(probe.key).catch(() => undefined);
    }
    if (!this.failing) return { writable: true };
    return { writable: false, cause: this.failing.cause, since: this.failing.since.toISOString() };
  }

  init(): Promise<void> {
    return this.store.init();
  }

  destroy(): Promise<void> {
    return this.store.destroy();
  }

  writeTemporary(source: Readable): Promise<StoredObject> {
    return this.reported(() => this.store.writeTemporary(source), source);
  }

  put(key: string, source: Readable): Promise<StoredObject> {
    return this.reported(() => this.store.put(key, source), source);
  }

  promote(temporaryKey: string): Promise<string> {
    return this.reported(() => this.store.promote(temporaryKey));
  }

  writeTo(key: string, destination: Writable, range?: ByteRange): Promise<void> {
    return this.store.writeTo(key, destination, range);
  }

  stat(key: string): Promise<StoredObject | null> {
    return this.store.stat(key);
  }

  delete(key: string): Promise<void> {
    return this.store.delete(key);
  }

  list(prefix: 'tmp/' | 'blobs/'): AsyncIterable<StoredObject> {
    return this.store.list(prefix);
  }

  abortUnfinishedWrites(abandoned: AbandonedWrite): Promise<number> {
    return this.store.abortUnfinishedWrites(abandoned);
  }

  /**
   * Runs a write; a failure that is not its source's (the client's stream, which has then failed
   * itself) is the store's, whatever the store called it.
   */
  private async reported<T>(write: () => Promise<T>, source?: Readable): Promise<T> {
    let result: T;
    try {
      result = await write();
    } catch (error) {
      const failure =
        error instanceof StorageFailure || (source && source.errored) || !(error instanceof Error)
          ? error
          : new StorageFailure(source ? 'write an upload' : 'keep an upload', error);
      if (failure instanceof StorageFailure) {
        this.logger.error({ err: failure.cause, operation: failure.operation }, failure.message);
        this.failing ??= { since: new Date(), cause: failure.cause.message };
      }
      throw failure;
    }
    if (this.failing) {
      this.logger.info({ since: this.failing.since }, 'storage writes work again');
      this.failing = null;
    }
    return result;
  }
}
