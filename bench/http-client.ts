import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SourceFile } from './source-file';

export interface JsonResponse {
  status: number;
  body: unknown;
}

export interface JsonRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  agent?: http.Agent;
  timeoutMs?: number;
}

/** One request whose answer is read whole and parsed as JSON (or kept as text when it is not JSON). */
export function requestJson(url: string, options: JsonRequest = {}): Promise<JsonResponse> {
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  return send(
    url,
    {
      method: options.method ?? (payload ? 'POST' : 'GET'),
      agent: options.agent,
      timeout: options.timeoutMs ?? 30_000,
      headers: {
        ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        ...options.headers,
      },
    },
    payload ? Readable.from([payload]) : undefined,
  );
}

/**
 * Streams `parts` (strings, buffers, and whole files by path) as one request body of known length:
 * the bytes of a file are read as they are sent, never held in memory.
 */
export function postStream(
  url: string,
  headers: Record<string, string>,
  parts: (string | Buffer | Readable)[],
  length: number,
  timeoutMs: number,
  agent?: http.Agent,
): Promise<JsonResponse> {
  return streamRequest('POST', url, headers, parts, length, timeoutMs, agent);
}

/** The same as `postStream` with `PUT`, for servers that take a file as the whole body of a `PUT`. */
export function putStream(
  url: string,
  headers: Record<string, string>,
  parts: (string | Buffer | Readable)[],
  length: number,
  timeoutMs: number,
): Promise<JsonResponse> {
  return streamRequest('PUT', url, headers, parts, length, timeoutMs);
}

function streamRequest(
  method: 'POST' | 'PUT',
  url: string,
  headers: Record<string, string>,
  parts: (string | Buffer | Readable)[],
  length: number,
  timeoutMs: number,
  agent?: http.Agent,
): Promise<JsonResponse> {
  async function* body() {
    for (const part of parts) {
      if (part instanceof Readable) yield* part;
      else yield typeof part === 'string' ? Buffer.from(part) : part;
    }
  }
  return send(
    url,
    { method, agent, timeout: timeoutMs, headers: { ...headers, 'content-length': String(length) } },
    Readable.from(body(), { objectMode: false }),
  );
}

/** Throws with the answer's status and (the start of its) body unless `condition` holds. */
export function assertAnswer(condition: boolean, what: string, answer: JsonResponse): void {
  if (!condition)
    throw new Error(`${what} failed (${answer.status}): ${JSON.stringify(answer.body).slice(0, 500)}`);
}

export interface MultipartBody {
  contentType: string;
  parts: (string | Buffer | Readable)[];
  length: number;
}

/** The file part of a multipart body: its field, its name, and its `Content-Type` (octet-stream unless said). */
export interface FilePart {
  field: string;
  filename: string;
  contentType?: string;
}

/** Text fields, then one file part whose `size` bytes are `content`. */
function multipart(
  fields: Record<string, string>,
  file: FilePart,
  content: Buffer | Readable,
  size: number,
): MultipartBody {
  const boundary = `----picvault-bench-${randomBytes(8).toString('hex')}`;
  const head =
    Object.entries(fields)
      .map(
        ([name, value]) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      )
      .join('') +
    `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\n` +
    `Content-Type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    parts: [head, content, tail],
    length: Buffer.byteLength(head) + size + Buffer.byteLength(tail),
  };
}

/**
 * A `multipart/form-data` body for `postStream`: text fields, then one file part whose bytes are
 * read from disk as they are sent.
 */
export function multipartWithFile(
  fields: Record<string, string>,
  file: FilePart & { source: SourceFile },
): MultipartBody {
  const stream = createReadStream(file.source.path, { highWaterMark: 1 << 20 });
  return multipart(fields, file, stream, file.source.size);
}

/** The same with the file's bytes in memory: for many small files, nothing read from disk while timed. */
export function multipartWithBytes(
  fields: Record<string, string>,
  file: FilePart & { content: Buffer },
): MultipartBody {
  return multipart(fields, file, file.content, file.content.length);
}

function send(url: string, options: http.RequestOptions, body: Readable | undefined): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // Not JSON: the caller sees the text, which is what a failure report needs.
        }
        resolve({ status: response.statusCode ?? 0, body: parsed });
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url} in time`)));
    request.on('error', reject);
    if (body) pipeline(body, request).catch(reject);
    else request.end();
  });
}

export interface Downloaded {
  status: number;
  bytes: number;
  /** From the request's start to its last byte, as the client itself measured it. */
  seconds: number;
}

/** Downloads `url` to nowhere with Node's own client and returns how many bytes arrived. */
function downloadWithNode(
  url: string,
  timeoutMs: number,
  headers: Record<string, string>,
): Promise<Downloaded> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const request = http.get(url, { timeout: timeoutMs, headers }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('error', reject);
      response.on('end', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        resolve({ status: response.statusCode ?? 0, bytes, seconds });
      });
    });
    request.on('timeout', () => request.destroy(new Error(`download of ${url} took too long`)));
    request.on('error', reject);
  });
}

/**
 * The same with curl, in a process of its own: Node's client reads 64 KiB at a time and tops out first.
 * The time is curl's own: starting the process takes 30 ms here, 60–100 ms under load, against about
 * 450 ms for the download of 1 GiB itself.
 */
function downloadWithCurl(
  url: string,
  timeoutMs: number,
  headers: Record<string, string>,
): Promise<Downloaded> {
  return new Promise((resolve, reject) => {
    const curl = spawn(
      'curl',
      [
        '-sS',
        '-o',
        '/dev/null',
        '--max-time',
        String(timeoutMs / 1000),
        '-w',
        '%{http_code} %{size_download} %{time_total}',
        ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
        url,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    curl.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    curl.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    curl.on('error', reject);
    curl.on('exit', (code) => {
      const [status, bytes, seconds] = output.trim().split(' ').map(Number);
      if (code === 0) resolve({ status, bytes, seconds });
      else reject(new Error(`curl ${url} failed (${code}): ${output}`));
    });
  });
}

export interface DownloadClient {
  name: string;
  /** `headers` go with the request (a token, for a download that needs one). */
  download(url: string, timeoutMs: number, headers: Record<string, string>): Promise<Downloaded>;
}

/** curl when this machine has it, Node's client otherwise. */
export function downloadClient(): DownloadClient {
  const curl = spawnSync('curl', ['--version'], { stdio: 'ignore' });
  return curl.status === 0
    ? { name: 'curl', download: downloadWithCurl }
    : { name: "Node's http client", download: downloadWithNode };
}
