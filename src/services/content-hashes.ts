import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * The program of every worker: one algorithm (its `workerData`) for many hashes at once, told apart
 * by id. It is given as source so the same code runs from `dist/` and under ts-jest, with no second
 * build output to locate. A batch is shared memory that it reads in place; only the batch's number
 * goes back, telling the sender that this thread is done with it.
 */
const WORKER_SOURCE = `
const { parentPort, workerData: algorithm } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', ({ id, batch, index, length, end, abort }) => {
  if (abort) { hashes.delete(id); return; }
  let hash = hashes.get(id);
  if (!hash) hashes.set(id, (hash = createHash(algorithm)));
  if (batch) {
    hash.update(new Uint8Array(batch, 0, length));
    parentPort.postMessage({ id, index });
  }
  if (end) {
    hashes.delete(id);
    parentPort.postMessage({ id, digest: hash.digest('hex') });
  }
});
`;

/** Bytes gathered before they are handed over: one message per MiB instead of one per socket read. */
const BATCH_BYTES = 1 << 20;
/** Batches a hash may have at its threads before its caller is asked to wait. */
const MAX_BATCHES_IN_FLIGHT = 4;
/**
 * Each hash takes one thread of each algorithm, so that md5 (about 700 MB/s a core, the slower)
 * is not also waiting for sha256. More than one pair only helps concurrent uploads.
 */
const THREADS_PER_ALGORITHM = Math.min(4, Math.max(1, availableParallelism() >> 1));
/**
 * Batches kept for the next hashes. Shared memory is freed only once every thread that saw it has
 * collected its view, and the hashing threads allocate so little that they seldom collect: made anew
 * for each upload, batches piled up past a GiB in a soak. Reused, they stay as many as were ever in
 * use at once, up to this many kept.
 */
const SPARE_BATCHES_KEPT = 32;
const spareBatches: Buffer[] = [];

export interface ContentDigests {
  md5: string;
  sha256: string;
}

type Algorithm = keyof ContentDigests;
type Reply = { id: number; index?: number; digest?: string; error?: Error };

/** One worker of one algorithm; it keeps the process alive only while some hash is using it. */
class HashThread {
  private readonly worker: Worker;
  private readonly listeners = new Map<number, (reply: Reply) => void>();

  constructor(algorithm: Algorithm, onDeath: () => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: algorithm });
    this.worker.unref();
    this.worker.on('message', (reply: Reply) => this.listeners.get(reply.id)?.(reply));
    this.worker.on('error', (error) => {
      onDeath();
      for (const [id, listener] of this.listeners) listener({ id, error });
    });
  }

  join(id: number, listener: (reply: Reply) => void): void {
    this.listeners.set(id, listener);
    this.worker.ref();
  }

  leave(id: number): void {
    if (this.listeners.delete(id) && this.listeners.size === 0) this.worker.unref();
  }

  post(message: object): void {
    this.worker.postMessage(message);
  }
}

const threads: Record<Algorithm, (HashThread | undefined)[]> = { md5: [], sha256: [] };
let nextId = 1;

function threadFor(algorithm: Algorithm, id: number): HashThread {
  const pool = threads[algorithm];
  const slot = id % THREADS_PER_ALGORITHM;
  const thread =
    pool[slot] ??
    new HashThread(algorithm, () => {
      if (pool[slot] === thread) pool[slot] = undefined;
    });
  return (pool[slot] = thread);
}

interface Batch {
  index: number;
  bytes: Buffer;
  /** Threads that have it and have not handed it back: until none, it must not be refilled. */
  readers: number;
}

/**
 * md5 and sha256 of a stream of chunks, each on a worker thread of its own, beside the network and
 * the disk instead of on the thread that parses requests. The chunks are copied into a few reused
 * 1 MiB batches of shared memory that both threads read at once; past MAX_BATCHES_IN_FLIGHT,
 * `update` reports that the caller should wait for `drained()`, which comes when half of them are
 * back from both.
 */
export class OffThreadHashes {
  private readonly id = nextId++;
  private readonly threads = { md5: threadFor('md5', this.id), sha256: threadFor('sha256', this.id) };
  private readonly batches: Batch[] = [];
  /** This hash's batches that no thread is reading. */
  private readonly spare: Batch[] = [];
  private filling: Batch | null = null;
  private filled = 0;
  private inFlight = 0;
  private onDrained: (() => void) | null = null;
  private readonly digests: Promise<ContentDigests>;

  constructor() {
    this.digests = new Promise((resolve, reject) => {
      const found: Partial<ContentDigests> = {};
      for (const algorithm of ['md5', 'sha256'] as const) {
        this.threads[algorithm].join(this.id, (reply) => {
          if (reply.index !== undefined) this.returned(this.batches[reply.index]);
          if (reply.error) {
            this.leave();
            reject(reply.error);
          } else if (reply.digest) {
            this.threads[algorithm].leave(this.id);
            found[algorithm] = reply.digest;
            if (found.md5 && found.sha256) {
              this.giveBackBatches();
              resolve({ md5: found.md5, sha256: found.sha256 });
            }
          }
        });
      }
    });
    // Digests nobody awaits (the upload failed) must not surface as an unhandled rejection.
    this.digests.catch(() => undefined);
  }

  /** Takes a copy of `chunk`; false when the caller should wait for `drained()`. */
  update(chunk: Buffer): boolean {
    for (let offset = 0; offset < chunk.length;) {
      this.filling ??= this.spare.pop() ?? this.newBatch();
      const copied = chunk.copy(this.filling.bytes, this.filled, offset);
      offset += copied;
      this.filled += copied;
      if (this.filled === BATCH_BYTES) this.handOver();
    }
    return this.inFlight < MAX_BATCHES_IN_FLIGHT;
  }

  drained(): Promise<void> {
    return new Promise((resolve) => {
      if (this.inFlight <= MAX_BATCHES_IN_FLIGHT / 2) resolve();
      else this.onDrained = resolve;
    });
  }

  digest(): Promise<ContentDigests> {
    if (this.filled > 0) this.handOver();
    this.post({ id: this.id, end: true });
    return this.digests;
  }

  /** Forgets an unfinished hash. */
  abort(): void {
    this.leave();
    this.post({ id: this.id, abort: true });
    this.giveBackBatches();
  }

  private newBatch(): Batch {
    const batch = {
      index: this.batches.length,
      bytes: spareBatches.pop() ?? Buffer.from(new SharedArrayBuffer(BATCH_BYTES)),
      readers: 0,
    };
    this.batches.push(batch);
    return batch;
  }

  /** Hands the batches no thread still reads to the next hashes; those in flight are left to the GC. */
  private giveBackBatches(): void {
    for (const batch of this.batches) {
      if (batch.readers === 0 && spareBatches.length < SPARE_BATCHES_KEPT) spareBatches.push(batch.bytes);
    }
    this.batches.length = 0;
    this.spare.length = 0;
    this.filling = null;
  }

  private handOver(): void {
    const batch = this.filling!;
    batch.readers = 2;
    this.post({ id: this.id, batch: batch.bytes.buffer, index: batch.index, length: this.filled });
    this.filling = null;
    this.filled = 0;
    this.inFlight += 1;
  }

  private returned(batch: Batch): void {
    batch.readers -= 1;
    if (batch.readers > 0) return;
    this.inFlight -= 1;
    this.spare.push(batch);
    if (this.inFlight <= MAX_BATCHES_IN_FLIGHT / 2 && this.onDrained) {
      const drained = this.onDrained;
      this.onDrained = null;
      drained();
    }
  }

  private post(message: object): void {
    this.threads.md5.post(message);
    this.threads.sha256.post(message);
  }

  private leave(): void {
    this.threads.md5.leave(this.id);
    this.threads.sha256.leave(this.id);
  }
}
