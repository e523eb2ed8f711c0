import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generate } from 'selfsigned';
import { signUp } from '../../helpers/accounts';
import { graphql } from '../../helpers/http';
import { tinyPng } from '../../helpers/images';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const run = promisify(execFile);
const UPLOADER = path.join(__dirname, '../../fixtures/picgo-upload.cjs');

/** An HTTPS server in front of the app, as a deployment puts TLS before it; `Host` passes through. */
async function startTlsFront(app: TestApp, key: string, cert: string): Promise<https.Server> {
  const target = new URL(app.url);
  const front = https.createServer({ key, cert }, (request, response) => {
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  return front;
}

describe('the picgo package (3.x) uploading through its SM.MS uploader', () => {
  let app: TestApp;
  let front: https.Server;
  let workDir: string;
  let caFile: string;
  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'picvault-picgo-'));
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    caFile = path.join(workDir, 'ca.pem');
    await writeFile(caFile, pems.cert);
    app = await startTestApp();
    front = await startTlsFront(app, pems.private, pems.cert);
  });
  afterAll(async () => {
    front.closeAllConnections();
    await new Promise((resolve) => front.close(resolve));
    await app.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('uploads the same image twice, each time ending with its URL', async () => {
    const user = await signUp(app);
    const created = await graphql<{ createApiToken: { token: string } }>(
      app,
      `
        mutation {
          createApiToken(input: { name: "PicGo", scope: UPLOAD }) {
            token
          }
        }
      `,
      {},
      user.token,
    );
    const token = created.data!.createApiToken.token;
    const image = path.join(workDir, `screenshot-${randomBytes(3).toString('hex')}.png`);
    await writeFile(image, tinyPng(64, 48));
    const domain = `127.0.0.1:${(front.address() as AddressInfo).port}`;

    const urls: string[] = [];
    for (const attempt of [1, 2]) {
      const { stdout } = await run(
        process.execPath,
        [UPLOADER, path.join(workDir, `cfg${attempt}`), token, domain, image],
        {
          env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
          timeout: 60_000,
        },
      );
      const outcome = JSON.parse(stdout.trim().split('\n').at(-1)!) as { urls: string[]; failures: string[] };
      expect(outcome.failures).toEqual([]);
      expect(outcome.urls).toHaveLength(1);
      urls.push(outcome.urls[0]);
    }
    expect(urls[1]).toBe(urls[0]);
    expect(urls[0]).toMatch(new RegExp(`^${app.url}/i/\\d{4}/\\d\\d/\\d\\d/[0-9a-f]{16}\\.png$`));
    const served = await fetch(urls[0]);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
  }, 120_000);
});
