import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

/** Far longer than a chunk takes from the page cache (under 0.3 ms for 1 MiB here); a disk wait is longer. */
const SLOW_READ_MS = 2;
/** Fast thread-pool reads in a row before the first read on the event loop's own thread. */
const FIRST_PROMOTION = 2;

export interface ChunkReaderOptions {
  slowReadMs?: number;
  /** Milliseconds from some fixed point. */
  now?: () => number;
}

/**
 * Reads a file's chunks in the thread pool or, while the page cache serves them, on this thread. A
 * read here saves two cross-thread wake-ups per chunk: on this 2-core VM, about a fifth less CPU per
 * downloaded byte and a tenth more throughput. A read that has to wait for the disk would stall every
 * other request, though. So reads start in the pool, move here after a run of fast ones, and go back
 * after any slow one, needing a run twice as long each time: a download of n chunks stalls the event
 * loop at most log2(n) times.
 */
export class ChunkReader {
  /** Reads done in the pool and on this thread so far. */
  readonly counts = { pool: 0, thread: 0 };
  private onThisThread = false;
  private fastInARow = 0;
  private promoteAfter = FIRST_PROMOTION;
  private readonly slowReadMs: number;
  private readonly now: () => number;

  constructor(
    private readonly file: FileHandle,
    options: ChunkReaderOptions = {},
  ) {
    this.slowReadMs = options.slowReadMs ?? SLOW_READ_MS;
    this.now = options.now ?? (() => performance.now());
  }

  /** Reads up to `length` bytes at `position` into the start of `buffer`; the count read. */
  async read(buffer: Buffer, length: number, position: number): Promise<number> {
    const started = this.now();
    let bytesRead: number;
    if (this.onThisThread) {
      bytesRead = readSync(this.file.fd, buffer, 0, length, position);
      this.counts.thread += 1;
    } else {
      ({ bytesRead } = await this.file.read(buffer, 0, length, position));
      this.counts.pool += 1;
    }
    this.took(this.now() - started);
    return bytesRead;
  }

  private took(milliseconds: number): void {
    const fast = milliseconds < this.slowReadMs;
    if (!this.onThisThread) {
      this.fastInARow = fast ? this.fastInARow + 1 : 0;
      this.onThisThread = this.fastInARow >= this.promoteAfter;
    } else if (!fast) {
      this.onThisThread = false;
      this.fastInARow = 0;
      this.promoteAfter *= 2;
    }
  }
}
