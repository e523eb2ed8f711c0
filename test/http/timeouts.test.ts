import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createHttpServer } from '../../src/http/server';
import { signUp, type TestUser } from '../helpers/accounts';
import { openRawPost } from '../helpers/http';
import { describeFile, desktopUploadBody } from '../helpers/legacy-upload';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { countRows, storedObjects } from '../helpers/uploads';
import { eventually } from '../helpers/wait';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the HTTP server’s timeouts', () => {
  it('puts no limit on a whole request, closes idle connections, and keeps Node’s header timeout', () => {
    const server = createHttpServer(express(), { idleTimeoutSeconds: 90 });
    expect(server.requestTimeout).toBe(0);
    expect(server.timeout).toBe(90_000);
    expect(server.headersTimeout).toBe(60_000);
  });

  it('makes each request and response with the app’s prototypes, so Express has none to swap', async () => {
    const app = express();
    app.get('/', (request, response) => response.json({ ip: request.ip, host: request.host }));
    const server = createHttpServer(app, { idleTimeoutSeconds: 90 });
    // Before Express sees them: as Node made them.
    const born: boolean[] = [];
    server.prependListener('request', (request, response) => {
      born.push(
        Object.getPrototypeOf(request) === app.request,
        Object.getPrototypeOf(response) === app.response,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const answer = await fetch(`http://127.0.0.1:${port}/`);
      expect(await answer.json()).toEqual({ ip: '127.0.0.1', host: `127.0.0.1:${port}` });
      expect(born).toEqual([true, true]);
    } finally {
      server.close();
    }
  });
});

describe('uploads against IDLE_TIMEOUT_SECONDS', () => {
  let app: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    app = await startTestApp({ env: { IDLE_TIMEOUT_SECONDS: '1' } });
    alice = await signUp(app);
  });
  afterAll(() => app.close());

  it('takes an upload whose bytes keep coming for longer than the idle timeout', async () => {
    const bytes = randomBytes(12 * 1024);
    const body = desktopUploadBody(bytes, { parameters: describeFile(alice.userName, 'slow.bin', bytes) });
    const upload = openRawPost(app, '/api/upload', {
      authorization: alice.token,
      'content-type': 'application/json',
      'content-length': body.length,
    });
    const pieces = 10;
    const piece = Math.ceil(body.length / pieces);
    for (let offset = 0; offset < body.length; offset += piece) {
      await upload.write(body.subarray(offset, offset + piece));
      await sleep(400);
    }
    await sleep(300);
    expect(upload.received()).toMatch(/\{"code":0\}$/);
    upload.socket.destroy();
  });

  it('closes a connection whose body stalls, and keeps nothing of it', async () => {
    const nodes = await countRows(app, 'nodes');
    const bytes = randomBytes(64 * 1024);
    const body = desktopUploadBody(bytes, { parameters: describeFile(alice.userName, 'stalled.bin', bytes) });
    const upload = openRawPost(app, '/api/upload', {
      authorization: alice.token,
      'content-type': 'application/json',
      'content-length': body.length,
    });
    const closed = new Promise<number>((resolve) => {
      const started = Date.now();
      upload.socket.once('close', () => resolve(Date.now() - started));
    });
    await upload.write(body.subarray(0, body.length / 2));
    const afterMs = await closed;
    expect(afterMs).toBeGreaterThanOrEqual(900);
    expect(afterMs).toBeLessThan(5000);
    expect(await countRows(app, 'nodes')).toBe(nodes);
    await eventually(async () => expect(await storedObjects(app, 'tmp')).toEqual([]));
  });
});
