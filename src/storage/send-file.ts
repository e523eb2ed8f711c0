import type { FileHandle } from 'node:fs/promises';
import { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ChunkReader } from './chunk-reader';

/**
 * Two buffers of 256 KiB: small enough that both copies of a chunk, from the page cache and into the
 * socket, stay within one core's L2 cache. Measured on loopback from the page cache against 4 of 1 MiB:
 * 2.2–3.3 GB/s against 2.2–2.8, and about a tenth less CPU per byte.
 */
const CHUNK_BYTES = 256 * 1024;
/** Chunks read ahead of the destination: one is read while the other goes out. */
const CHUNKS_IN_FLIGHT = 2;

/** Resolves once `destination` has taken `chunk` (handed it to the kernel, for a socket). */
function written(destination: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    destination.write(chunk, (error) => (error ? reject(error) : resolve())),
  );
}

/**
 * Whether a write's callback means the bytes are out of the buffer. For a socket, or an HTTP response
 * over one, it does: the kernel has them. A transform such as a PassThrough calls back while its
 * reader may still hold the very buffer.
 */
function releasesOnCallback(destination: Writable): boolean {
  return destination instanceof Socket || destination instanceof ServerResponse;
}

/**
 * Writes bytes `start`…`end` (inclusive; none when end < start) of an open file into `destination`
 * and ends it. Into a socket, the same few buffers carry the whole range, each reused once the
 * kernel has taken it: a fresh buffer per chunk, as a read stream makes, costs more than the copy
 * itself (measured: about a third less throughput on loopback).
 */
export async function sendFileRange(
  file: FileHandle,
  destination: Writable,
  start: number,
  end: number,
): Promise<void> {
  const chunkBytes = Math.min(CHUNK_BYTES, end - start + 1);
  const reuse = releasesOnCallback(destination);
  const reader = new ChunkReader(file);
  const inFlight: Promise<Buffer>[] = [];
  // Its failures reach us through the write callbacks and `finished`; as events they would crash.
  destination.on('error', () => undefined);
  try {
    for (let position = start; position <= end;) {
      const oldest = inFlight.length < CHUNKS_IN_FLIGHT ? undefined : await inFlight.shift();
      const buffer = reuse && oldest ? oldest : Buffer.allocUnsafeSlow(chunkBytes);
      const bytesRead = await reader.read(buffer, Math.min(chunkBytes, end - position + 1), position);
      if (bytesRead === 0) throw new Error(`The file ended ${end - position + 1} bytes early`);
      position += bytesRead;
      const taken = written(destination, buffer.subarray(0, bytesRead)).then(() => buffer);
      // Awaited in turn below; one that fails while an earlier one is awaited must not go unhandled.
      taken.catch(() => undefined);
      inFlight.push(taken);
    }
    await Promise.all(inFlight);
  } catch (error) {
    destination.destroy(error as Error);
    throw error;
  }
  destination.end();
  await finished(destination);
}
