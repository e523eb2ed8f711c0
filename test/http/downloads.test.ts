import { createHash, randomBytes } from 'node:crypto';
import { fromGlobalId } from '../../src/schema/global-id';
import { signUp, type TestUser } from '../helpers/accounts';
import { deleteItem } from '../helpers/files';
import { graphql } from '../helpers/http';
import { tinyPng } from '../helpers/images';
import { STORAGE_AND_REDIS, STORAGE_KINDS } from '../helpers/s3';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { uploadFile, type UploadedFile } from '../helpers/uploads';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

const HOUR_MS = 60 * 60 * 1000;
const DOWNLOAD = `query ($id: ID!) { node(id: $id) { ... on File { download { url expiresAt } } } }`;

/** The row id behind a global id: what a `/files/<id>/…` URL carries. */
function localId(id: string): string {
  const decoded = fromGlobalId(id);
  if (!decoded) throw new Error(`${id} is not a global id`);
  return decoded.localId;
}

/** When a download URL made at `nowMs` expires: 24 hours on, rounded up to the hour. */
const expiryOf = (nowMs: number) =>
  Math.ceil((Math.floor(nowMs / 1000) * 1000 + 24 * HOUR_MS) / HOUR_MS) * HOUR_MS;

describe.each(STORAGE_AND_REDIS)('GET /files/<id>/<name> %s', (_label, variant) => {
  let app: TestApp;
  let alice: TestUser;
  const bytes = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
  let file: UploadedFile;

  beforeAll(async () => {
    app = await startTestApp(variant);
    alice = await signUp(app);
    file = await upload(bytes, 'data.bin');
  });
  afterAll(() => app.close());

  async function upload(content: Buffer | string, name: string): Promise<UploadedFile> {
    const answer = await uploadFile(app, alice.token, content, { name });
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.uploadFile.userErrors).toEqual([]);
    return answer.data!.uploadFile.file!;
  }

  const get = (url: string, headers: Record<string, string> = {}, method = 'GET') =>
    fetch(url, { method, headers });

  function expectSafeFileHeaders(response: Response) {
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBe('sandbox');
  }

  it('serves the exact bytes with validators, length and safety headers', async () => {
    const response = await get(file.download.url);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
    expect(response.headers.get('etag')).toBe(`"${sha256(bytes)}"`);
    expect(response.headers.get('content-length')).toBe(String(bytes.length));
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="data.bin"; filename*=UTF-8''data.bin`,
    );
    expect(Date.parse(response.headers.get('last-modified')!)).toBeLessThanOrEqual(Date.now());
    expectSafeFileHeaders(response);
  });

  it('signs a /files/<id>/<name> URL that stays the same within the hour and expires on the hour, 24 to 25 hours on', async () => {
    async function download(id: string): Promise<{ url: string; expiresAt: string }> {
      const answer = await graphql<{ node: { download: { url: string; expiresAt: string } } }>(
        app,
        DOWNLOAD,
        { id },
        alice.token,
      );
      expect(answer.errors).toBeUndefined();
      return answer.data!.node.download;
    }

    // Made again and again within one hour's window, a file's URL does not change. A run that
    // straddles the turn of the hour tries once more.
    for (let attempt = 0; ; attempt += 1) {
      const start = Date.now();
      const uploaded = await upload('signed', 'signed name.txt');
      const [first, second] = [await download(uploaded.id), await download(uploaded.id)];
      const end = Date.now();
      if (expiryOf(start) !== expiryOf(end) && attempt === 0) continue;
      expect(expiryOf(start)).toBe(expiryOf(end));

      const expires = expiryOf(start);
      for (const signed of [uploaded.download, first, second]) {
        expect(signed).toEqual(uploaded.download);
        expect(Date.parse(signed.expiresAt)).toBe(expires);
      }
      expect(expires % HOUR_MS).toBe(0);
      expect(expires).toBeGreaterThanOrEqual(start + 24 * HOUR_MS - 1000);
      expect(expires).toBeLessThanOrEqual(end + 25 * HOUR_MS);
      const match = new RegExp(
        `^${app.url}/files/${localId(uploaded.id)}/signed%20name\\.txt\\?exp=(\\d+)&sig=[\\w-]+$`,
      ).exec(uploaded.download.url);
      expect(match).not.toBeNull();
      expect(Number(match![1]) * 1000).toBe(expires);
      expect((await get(uploaded.download.url)).status).toBe(200);
      break;
    }
  });

  it('answers HEAD with the same headers and no body', async () => {
    const response = await get(file.download.url, {}, 'HEAD');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(bytes.length));
    expect(response.headers.get('etag')).toBe(`"${sha256(bytes)}"`);
    expectSafeFileHeaders(response);
    expect(await response.text()).toBe('');
  });

  it.each([
    ['bytes=2-5', '2345', 'bytes 2-5/36'],
    ['bytes=30-', 'uvwxyz', 'bytes 30-35/36'],
    ['bytes=-3', 'xyz', 'bytes 33-35/36'],
    ['bytes=34-100', 'yz', 'bytes 34-35/36'],
  ])('answers Range %s with 206 and the part', async (range, body, contentRange) => {
    const response = await get(file.download.url, { range });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(contentRange);
    expect(response.headers.get('content-length')).toBe(String(body.length));
    expect(await response.text()).toBe(body);
    expectSafeFileHeaders(response);
  });

  it.each(['bytes=36-', 'bytes=40-50', 'bytes=-0'])(
    'answers the unsatisfiable Range %s with 416',
    async (range) => {
      const response = await get(file.download.url, { range });
      expect(response.status).toBe(416);
      expect(response.headers.get('content-range')).toBe('bytes */36');
      expectSafeFileHeaders(response);
    },
  );

  it('ignores a Range when If-Range names another version', async () => {
    const response = await get(file.download.url, { range: 'bytes=0-1', 'if-range': '"other"' });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
  });

  it('answers 304 to If-None-Match with the ETag, and 200 to another tag', async () => {
    const etag = `"${sha256(bytes)}"`;
    const cached = await get(file.download.url, { 'if-none-match': etag });
    expect(cached.status).toBe(304);
    expect(cached.headers.get('etag')).toBe(etag);
    expect(await cached.text()).toBe('');
    expect((await get(file.download.url, { 'if-none-match': `"x", ${etag}` })).status).toBe(304);
    expect((await get(file.download.url, { 'if-none-match': '"stale"' })).status).toBe(200);
  });

  it('answers 304 to If-Modified-Since at or after Last-Modified, and 200 before', async () => {
    const lastModified = (await get(file.download.url, {}, 'HEAD')).headers.get('last-modified')!;
    expect((await get(file.download.url, { 'if-modified-since': lastModified })).status).toBe(304);
    const before = new Date(Date.parse(lastModified) - 60_000).toUTCString();
    expect((await get(file.download.url, { 'if-modified-since': before })).status).toBe(200);
    expect((await get(file.download.url, { 'if-modified-since': 'not a date' })).status).toBe(200);
  });

  it('names the file in UTF-8 with an ASCII fallback', async () => {
    const report = await upload('%PDF-1.4 not really', '报告 "final".pdf');
    const response = await get(report.download.url);
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="__ _final_.pdf"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%22final%22.pdf`,
    );
  });

  it('shows a PNG inline with its own type', async () => {
    const png = tinyPng(2, 2);
    const image = await upload(png, 'pic.png');
    const response = await get(image.download.url);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('content-disposition')).toMatch(/^inline; filename="pic.png"/);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(png);
    expectSafeFileHeaders(response);
  });

  it.each([
    ['evil.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
    ['evil.html', '<!doctype html><script>alert(document.cookie)</script>'],
  ])('serves %s as an octet-stream attachment, never as markup', async (name, content) => {
    const markup = await upload(content, name);
    const response = await get(markup.download.url);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; /);
    expectSafeFileHeaders(response);
  });

  it('keeps working after a rename, under either name', async () => {
    const renamed = await upload('rename me', 'before.txt');
    const answer = await graphql(
      app,
      `
        mutation ($id: ID!) {
          renameItem(input: { id: $id, name: "after.txt" }) {
            item {
              id
            }
            userErrors {
              code
            }
          }
        }
      `,
      { id: renamed.id },
      alice.token,
    );
    expect(answer.data).toEqual({ renameItem: { item: { id: renamed.id }, userErrors: [] } });
    const response = await get(renamed.download.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/filename="after.txt"/);

    const current = await graphql<{ node: { download: { url: string } } }>(
      app,
      DOWNLOAD,
      { id: renamed.id },
      alice.token,
    );
    const renamedUrl = current.data!.node.download.url;
    expect(new URL(renamedUrl).pathname).toBe(`/files/${localId(renamed.id)}/after.txt`);
    const again = await get(renamedUrl);
    expect(again.status).toBe(200);
    expect(again.headers.get('content-disposition')).toMatch(/filename="after.txt"/);
  });

  describe('refuses with 403', () => {
    const tamper = (url: string, change: (params: URLSearchParams, parsed: URL) => void) => {
      const parsed = new URL(url);
      change(parsed.searchParams, parsed);
      return parsed.toString();
    };

    it.each([
      ['a tampered sig', (p: URLSearchParams) => p.set('sig', `${p.get('sig')!.slice(0, -2)}AA`)],
      ['a changed exp', (p: URLSearchParams) => p.set('exp', String(Number(p.get('exp')) + 1))],
      ['a past exp', (p: URLSearchParams) => p.set('exp', String(Math.floor(Date.now() / 1000) - 10))],
      ['no sig', (p: URLSearchParams) => p.delete('sig')],
      ['no exp', (p: URLSearchParams) => p.delete('exp')],
      ['repeated params', (p: URLSearchParams) => p.append('sig', 'x')],
    ])('%s', async (_what, change) => {
      const response = await get(tamper(file.download.url, change));
      expect(response.status).toBe(403);
      expect(await response.text()).not.toContain('0123456789');
    });

    it('another file’s signature', async () => {
      const other = await upload('other', 'other.txt');
      const mixed = new URL(file.download.url);
      mixed.search = new URL(other.download.url).search;
      expect((await get(mixed.toString())).status).toBe(403);
    });
  });

  it('answers 404 once the file is deleted', async () => {
    const doomed = await upload('doomed', 'doomed.txt');
    await deleteItem(app, alice.token, doomed.id);
    expect((await get(doomed.download.url)).status).toBe(404);
    expect((await get(doomed.download.url, {}, 'HEAD')).status).toBe(404);
  });
});

describe.each(STORAGE_KINDS)('a large download from %s', (storage) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ storage });
  });
  afterAll(() => app.close());

  it('streams 64 MiB intact, whole and by range', async () => {
    const alice = await signUp(app);
    const bytes = randomBytes(64 * 1024 * 1024);
    const uploaded = await uploadFile(app, alice.token, bytes, { name: 'big.bin' });
    expect(uploaded.errors).toBeUndefined();
    const { url } = uploaded.data!.uploadFile.file!.download;

    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(bytes.length));
    const hash = createHash('sha256');
    let received = 0;
    let chunks = 0;
    for await (const chunk of response.body!) {
      hash.update(chunk);
      received += chunk.length;
      chunks += 1;
    }
    expect(received).toBe(bytes.length);
    expect(hash.digest('hex')).toBe(sha256(bytes));
    // Streamed in many pieces, not sent as one buffer.
    expect(chunks).toBeGreaterThan(16);

    const tail = await fetch(url, { headers: { range: `bytes=${bytes.length - 1000}-` } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(bytes.subarray(bytes.length - 1000));

    // Across many of the server's reused buffers, starting and ending inside one.
    const [start, end] = [1024 * 1024 - 1, 9 * 1024 * 1024 + 1];
    const middle = await fetch(url, { headers: { range: `bytes=${start}-${end}` } });
    expect(middle.status).toBe(206);
    expect(Buffer.from(await middle.arrayBuffer()).equals(bytes.subarray(start, end + 1))).toBe(true);
  });

  it('answers 404, not 500, when the stored bytes vanished under a live row', async () => {
    const alice = await signUp(app);
    const uploaded = await uploadFile(app, alice.token, randomBytes(1000), { name: 'gone.bin' });
    const {
      download: { url },
      sha256: digest,
    } = uploaded.data!.uploadFile.file!;
    const [{ storage_key: key }] = await app.dataSource.query<{ storage_key: string }[]>(
      'SELECT storage_key FROM blobs WHERE sha256 = $1',
      [digest],
    );
    await app.store.delete(key);

    const response = await fetch(url);
    expect(response.status).toBe(404);
    expect(response.headers.get('etag')).not.toBe(`"${digest}"`);
    expect(response.headers.get('content-disposition')).toBeNull();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toBe('No such file');
  });
});

describe('GET /files/<id>/<name> with S3_PRESIGN=true', () => {
  let app: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    app = await startTestApp({ storage: 's3', env: { S3_PRESIGN: 'true', S3_PRESIGN_SECONDS: '2' } });
    alice = await signUp(app);
  });
  afterAll(() => app.close());

  it('redirects to a short-lived presigned URL of S3 that names and types the file as we would', async () => {
    const report = randomBytes(3000);
    const uploaded = await uploadFile(app, alice.token, report, { name: '报告.bin' });
    const { url } = uploaded.data!.uploadFile.file!.download;

    const redirect = await fetch(url, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('cache-control')).toBe('no-store');
    const location = redirect.headers.get('location')!;
    expect(new URL(location).origin).toBe(new URL(process.env.S3_ENDPOINT!).origin);
    expect(new URL(location).searchParams.get('X-Amz-Expires')).toBe('2');

    const direct = await fetch(location);
    expect(direct.status).toBe(200);
    expect(direct.headers.get('content-type')).toBe('application/octet-stream');
    expect(direct.headers.get('cache-control')).toBe('private, max-age=0, must-revalidate');
    expect(direct.headers.get('content-disposition')).toBe(
      `attachment; filename="__.bin"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.bin`,
    );
    expect(Buffer.from(await direct.arrayBuffer())).toEqual(report);
    const range = await fetch(url, { headers: { range: 'bytes=10-19' } });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer())).toEqual(report.subarray(10, 20));

    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await fetch(location)).status).toBe(403);
  });

  it('answers HEAD itself, and shows an image inline through the redirect', async () => {
    const png = tinyPng(2, 2);
    const uploaded = await uploadFile(app, alice.token, png, { name: 'pic.png' });
    const { url } = uploaded.data!.uploadFile.file!.download;
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(`"${sha256(png)}"`);
    const followed = await fetch(url);
    expect(followed.headers.get('content-type')).toBe('image/png');
    expect(followed.headers.get('content-disposition')).toMatch(/^inline; filename="pic.png"/);
    expect(Buffer.from(await followed.arrayBuffer())).toEqual(png);
  });

  it('still refuses a bad signature with 403, not a redirect', async () => {
    const uploaded = await uploadFile(app, alice.token, 'secret', { name: 's.txt' });
    const tampered = new URL(uploaded.data!.uploadFile.file!.download.url);
    tampered.searchParams.set('sig', 'AAAA');
    expect((await fetch(tampered, { redirect: 'manual' })).status).toBe(403);
  });
});
