import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program. It is given as source so the same code runs from `dist/` and under
 * ts-jest, with no second build output to locate. Each batch it is handed goes back to its sender
 * once hashed, so the same few buffers carry a whole upload.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const sessions = new Map();
parentPort.on('message', ({ id, batch, length, end, abort }) => {
  if (abort) { sessions.delete(id); return; }
  let session = sessions.get(id);
  if (!session) {
    session = { md5: createHash('md5'), sha256: createHash('sha256') };
    sessions.set(id, session);
  }
  if (batch) {
    const bytes = new Uint8Array(batch, 0, length);
    session.md5.update(bytes);
    session.sha256.update(bytes);
    parentPort.postMessage({ id, batch }, [batch]);
  }
  if (end) {
    sessions.delete(id);
    parentPort.postMessage({ id, md5: session.md5.digest('hex'), sha256: session.sha256.digest('hex') });
  }
});
`;

/** Bytes gathered before they are handed over: one message per MiB instead of one per socket read. */
const BATCH_BYTES = 1 << 20;
/** Batches a hash may have at the worker before its caller is asked to wait. */
const MAX_BATCHES_IN_FLIGHT = 4;
/** md5 is the slow one (about 700 MB/s a core): more workers only help concurrent uploads. */
const WORKER_COUNT = Math.min(4, Math.max(1, availableParallelism() - 1));

export interface ContentDigests {
  md5: string;
  sha256: string;
}

type Reply = { id: number; batch?: ArrayBuffer; md5?: string; sha256?: string; error?: Error };

const workers: (Worker | null)[] = new Array<Worker | null>(WORKER_COUNT).fill(null);
const listeners = new Map<number, (reply: Reply) => void>();
let nextId = 1;

function workerFor(id: number): Worker {
  const slot = id % WORKER_COUNT;
  let worker = workers[slot];
  if (!worker) {
    const started = new Worker(WORKER_SOURCE, { eval: true });
    started.unref();
    started.on('message', (reply: Reply) => listeners.get(reply.id)?.(reply));
    started.on('error', (error) => {
      workers[slot] = null;
      for (const [id, listener] of listeners) if (id % WORKER_COUNT === slot) listener({ id, error });
    });
    workers[slot] = worker = started;
  }
  return worker;
}

/**
 * md5 and sha256 of a stream of chunks, computed on a worker thread beside the network and the disk
 * instead of on the thread that parses requests. The chunks are copied into a few reused 1 MiB
 * batches that move to the worker and back without being copied again; past
 * MAX_BATCHES_IN_FLIGHT, `update` reports that the caller should wait for `drained()`, which comes
 * when half of them are back.
 */
export class OffThreadHashes {
  private readonly id = nextId++;
  private readonly worker = workerFor(this.id);
  private readonly spare: Buffer[] = [];
  private filling: Buffer | null = null;
  private filled = 0;
  private inFlight = 0;
  private onDrained: (() => void) | null = null;
  private readonly digests: Promise<ContentDigests>;

  constructor() {
    this.digests = new Promise((resolve, reject) => {
      listeners.set(this.id, (reply) => {
        if (reply.batch) this.returned(Buffer.from(reply.batch));
        if (reply.error) {
          this.forget();
          reject(reply.error);
        } else if (reply.md5 && reply.sha256) {
          this.forget();
          resolve({ md5: reply.md5, sha256: reply.sha256 });
        }
      });
    });
    // Digests nobody awaits (the upload failed) must not surface as an unhandled rejection.
    this.digests.catch(() => undefined);
    // Keep the process alive only while some hash is unfinished: an idle worker must not.
    this.worker.ref();
  }

  /** Takes a copy of `chunk`; false when the caller should wait for `drained()`. */
  update(chunk: Buffer): boolean {
    for (let offset = 0; offset < chunk.length;) {
      this.filling ??= this.spare.pop() ?? Buffer.allocUnsafeSlow(BATCH_BYTES);
      const copied = chunk.copy(this.filling, this.filled, offset);
      offset += copied;
      this.filled += copied;
      if (this.filled === this.filling.length) this.handOver();
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
    this.worker.postMessage({ id: this.id, end: true });
    return this.digests;
  }

  /** Forgets an unfinished hash. */
  abort(): void {
    this.forget();
    this.worker.postMessage({ id: this.id, abort: true });
  }

  private handOver(): void {
    const batch = this.filling!.buffer as ArrayBuffer;
    this.worker.postMessage({ id: this.id, batch, length: this.filled }, [batch]);
    this.filling = null;
    this.filled = 0;
    this.inFlight += 1;
  }

  private returned(batch: Buffer): void {
    this.inFlight -= 1;
    this.spare.push(batch);
    if (this.inFlight <= MAX_BATCHES_IN_FLIGHT / 2 && this.onDrained) {
      const drained = this.onDrained;
      this.onDrained = null;
      drained();
    }
  }

  private forget(): void {
    listeners.delete(this.id);
    const idle = ![...listeners.keys()].some((id) => id % WORKER_COUNT === this.id % WORKER_COUNT);
    if (idle) this.worker.unref();
  }
}
