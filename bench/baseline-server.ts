/**
 * The reference servers, in a few lines of plain Node: `POST /upload` streams the body through md5 and
 * sha256 into a file and fsyncs it (what any upload must at least do); `GET /download/<name>` pipes a
 * file of that folder out the textbook way, a read stream into the response; every other request gets
 * a constant JSON answer (what any API answer must at least cost).
 * Usage: node baseline-server.js <port> <directory for uploads>
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const [port, uploadDir] = process.argv.slice(2);
const RANKING = Buffer.from(
  JSON.stringify({
    code: 0,
    count: 10,
    total: 100000,
    files: Array.from({ length: 10 }, (_, i) => ({ filename: `file-${i}.bin`, pv: 999_000 - i })),
  }),
);

async function receive(request: NodeJS.ReadableStream): Promise<{ answer: string; file: string }> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  const file = path.join(uploadDir, randomUUID());
  const hashing = new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _encoding, done) {
      md5.update(chunk);
      sha256.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(request, hashing, createWriteStream(file, { flush: true, highWaterMark: 1 << 20 }));
  return { answer: JSON.stringify({ md5: md5.digest('hex'), sha256: sha256.digest('hex') }), file };
}

createServer((request, response) => {
  if (request.method === 'POST' && request.url === '/upload') {
    receive(request).then(
      // The file is only a place to write to: it goes once the answer is out, outside the timing.
      ({ answer, file }) =>
        response.writeHead(200, { 'content-type': 'application/json' }).end(answer, () => void unlink(file)),
      (error: Error) => response.writeHead(500).end(error.message),
    );
    return;
  }
  if (request.method === 'GET' && request.url?.startsWith('/download/')) {
    const file = path.join(uploadDir, path.basename(request.url));
    stat(file).then(
      ({ size }) => {
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
        createReadStream(file, { highWaterMark: 1 << 20 }).pipe(response);
      },
      () => response.writeHead(404).end(),
    );
    return;
  }
  request.resume();
  request.on('end', () =>
    response
      .writeHead(200, { 'content-type': 'application/json', 'content-length': RANKING.length })
      .end(RANKING),
  );
}).listen(Number(port), '127.0.0.1');
