import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Reachable, TestApp } from './test-app';

export interface GraphQLResponse<Data = Record<string, unknown>> {
  status: number;
  data?: Data | null;
  errors?: { message: string; extensions?: { code?: string; requestId?: string } }[];
}

/** POSTs one GraphQL operation as JSON, with a bearer token when given. */
export async function graphql<Data = Record<string, unknown>>(
  app: Reachable,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GraphQLResponse<Data>> {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

/** POSTs a legacy JSON body (any object, or a raw string) and returns the status and parsed answer. */
export async function postJson(
  app: Reachable,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: JSON.parse(text) as Record<string, unknown>,
    headers: response.headers,
  };
}

export interface RawPost {
  socket: net.Socket;
  /** Resolves once the socket has taken the bytes. */
  write(bytes: Buffer): Promise<void>;
  /** Everything the server has answered so far, as text. */
  received(): string;
}

/** An HTTP/1.1 request written by hand to a socket, so a test controls when the bytes stop. */
export function openRawPost(app: TestApp, path: string, headers: Record<string, string | number>): RawPost {
  const { port } = new URL(app.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  socket.setNoDelay(true);
  let received = '';
  socket.on('data', (data) => (received += data.toString('utf8')));
  socket.on('error', () => undefined);
  const head =
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('') +
    '\r\n';
  socket.write(head);
  return {
    socket,
    write: (bytes) => new Promise<void>((resolve) => socket.write(bytes, () => resolve())),
    received: () => received,
  };
}

/** The body of a whole answer received on a raw request, once all of it has come. */
function answerBody(received: string): string | null {
  const headEnd = received.indexOf('\r\n\r\n');
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(received.slice(0, headEnd));
  if (headEnd < 0 || !length) return null;
  const body = received.slice(headEnd + 4);
  return Buffer.byteLength(body) >= Number(length[1]) ? body : null;
}

/**
 * POSTs a body announced as `announcedBytes` long: `head`, then random bytes again and again, as a
 * client with endless bytes would, until the whole answer is back or `maxBytes` more have gone. The
 * bytes sent after the head, and the answer's JSON body (null when none came).
 */
export async function postEndlessBody(
  app: TestApp,
  path: string,
  headers: Record<string, string>,
  head: Buffer,
  announcedBytes: number,
  maxBytes: number,
): Promise<{ sent: number; answer: unknown }> {
  const request = openRawPost(app, path, { ...headers, 'content-length': announcedBytes });
  const chunk = randomBytes(64 * 1024);
  let sent = 0;
  try {
    await request.write(head);
    while (answerBody(request.received()) === null && sent < maxBytes) {
      await request.write(chunk);
      sent += chunk.length;
    }
  } finally {
    request.socket.destroy();
  }
  const body = answerBody(request.received());
  return { sent, answer: body === null ? null : (JSON.parse(body) as unknown) };
}
