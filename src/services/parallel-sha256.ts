import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program. It is given as source so the same code runs from `dist/` and under
 * ts-jest, with no second build output to locate.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', ({ id, chunk, end, abort }) => {
  if (abort) { hashes.delete(id); return; }
  let hash = hashes.get(id);
  if (!hash) { hash = createHash('sha256'); hashes.set(id, hash); }
  if (chunk) { hash.update(chunk); parentPort.postMessage({ id, hashed: chunk.byteLength }); }
  if (end) { hashes.delete(id); parentPort.postMessage({ id, digest: hash.digest('hex') }); }
});
`;

/** How many bytes may wait for the worker before the upload stream is held back. */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

type Reply = { id: number; hashed?: number; digest?: string };

let worker: Worker | null = null;
let nextId = 1;
const listeners = new Map<number, (reply: Reply) => void>();

function sharedWorker(): Worker {
  if (!worker) {
    worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', (reply: Reply) => listeners.get(reply.id)?.(reply));
    worker.on('error', (error) => {
      for (const listener of listeners.values()) listener({ id: 0, digest: `error:${error.message}` });
      worker = null;
    });
  }
  return worker;
}

/** The worker holds the process open only while some hash is unfinished: an idle one must not. */
function track(id: number, listener: (reply: Reply) => void): void {
  listeners.set(id, listener);
  sharedWorker().ref();
}

function untrack(id: number): void {
  listeners.delete(id);
  if (listeners.size === 0) worker?.unref();
}

/**
 * sha256 computed on a worker thread, so that it runs beside md5 and the write instead of after
 * them on the thread that also parses the request. Memory stays bounded: past MAX_BACKLOG_BYTES
 * in flight, `update` reports that the caller should wait for `drained()`.
 */
export class ParallelSha256 {
  private readonly id = nextId++;
  private backlog = 0;
  private onDrained: (() => void) | null = null;
  private readonly digestPromise: Promise<string>;
  private readonly worker = sharedWorker();

  constructor() {
    this.digestPromise = new Promise((resolve, reject) => {
      track(this.id, (reply) => {
        if (reply.hashed !== undefined) {
          this.backlog -= reply.hashed;
          if (this.backlog <= MAX_BACKLOG_BYTES / 2 && this.onDrained) {
            const drained = this.onDrained;
            this.onDrained = null;
            drained();
          }
        }
        if (reply.digest !== undefined) {
          untrack(this.id);
          if (reply.digest.startsWith('error:')) reject(new Error(reply.digest));
          else resolve(reply.digest);
        }
      });
    });
    // A digest nobody awaits (the upload failed) must not surface as an unhandled rejection.
    this.digestPromise.catch(() => undefined);
  }

  /** Sends a copy of `chunk` to be hashed; false when the caller should wait for `drained()`. */
  update(chunk: Buffer): boolean {
    this.backlog += chunk.length;
    this.worker.postMessage({ id: this.id, chunk });
    return this.backlog <= MAX_BACKLOG_BYTES;
  }

  drained(): Promise<void> {
    return new Promise((resolve) => {
      if (this.backlog <= MAX_BACKLOG_BYTES / 2) resolve();
      else this.onDrained = resolve;
    });
  }

  digest(): Promise<string> {
    this.worker.postMessage({ id: this.id, end: true });
    return this.digestPromise;
  }

  /** Forgets an unfinished hash. */
  abort(): void {
    untrack(this.id);
    this.worker.postMessage({ id: this.id, abort: true });
  }
}
