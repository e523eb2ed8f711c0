import { createHash, randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import type { ImageData as V1Image } from '../../../src/legacy-rest/smms/answers';
import { signUp } from '../../helpers/accounts';
import { graphql, postJson } from '../../helpers/http';
import { tinyPng } from '../../helpers/images';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { storedObjects } from '../../helpers/uploads';

/** A 1×1 GIF89a. */
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

function form(parts: { name: string; bytes: Buffer | string; filename?: string }[]): FormData {
  const body = new FormData();
  for (const part of parts) {
    if (part.filename === undefined) body.append(part.name, String(part.bytes));
    else body.append(part.name, new Blob([Buffer.from(part.bytes)]), part.filename);
  }
  return body;
}

async function post(
  app: TestApp,
  path: string,
  body: FormData | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; text: string; type: string | null }> {
  const response = await fetch(`${app.url}${path}`, { method: 'POST', headers, body });
  const text = await response.text();
  const type = response.headers.get('content-type');
  return {
    status: response.status,
    text,
    type,
    body: type?.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

const upload = (app: TestApp, bytes: Buffer, filename = 'cat.png', headers: Record<string, string> = {}) =>
  post(app, '/sm/api/upload', form([{ name: 'smfile', bytes, filename }]), headers);

async function getJson(app: TestApp, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${app.url}${path}`, { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the sm.ms door', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { SM_MAX_BYTES: String(256 * 1024) } });
  });
  afterAll(() => app.close());

  describe('v1 upload', () => {
    it('answers the documented object, and the image is public at its permanent URL', async () => {
      const png = tinyPng(31, 17);
      const before = Math.floor(Date.now() / 1000);
      const answer = await upload(app, png, 'shadowsocks.png');
      expect(answer.status).toBe(200);
      expect(answer.body.code).toBe('success');
      const data = answer.body.data as V1Image;
      expect(Object.keys(data).sort()).toEqual(
        [
          'delete',
          'filename',
          'hash',
          'height',
          'path',
          'size',
          'storename',
          'timestamp',
          'url',
          'width',
        ].sort(),
      );
      expect(data).toMatchObject({ width: 31, height: 17, filename: 'shadowsocks.png', size: png.length });
      expect(data.storename).toMatch(/^[0-9a-f]{16}\.png$/);
      expect(data.path).toMatch(new RegExp(`^/\\d{4}/\\d\\d/\\d\\d/${data.storename}$`));
      expect(data.url).toBe(`${app.url}/i${data.path}`);
      expect(data.delete).toBe(`${app.url}/sm/api/delete/${data.hash}`);
      expect(data.hash).toMatch(/^[\w-]{24}$/);
      expect(data.timestamp).toBeGreaterThanOrEqual(before);

      const image = await fetch(data.url);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/png');
      expect(image.headers.get('x-content-type-options')).toBe('nosniff');
      expect(image.headers.get('content-security-policy')).toBe('sandbox');
      expect(image.headers.get('cache-control')).toMatch(/^public, max-age=\d{7,}/);
      expect(image.headers.get('etag')).toBe(`"${createHash('sha256').update(png).digest('hex')}"`);
      expect(Buffer.from(await image.arrayBuffer()).equals(png)).toBe(true);
    });

    it('renders the same answer as XML with format=xml', async () => {
      const answer = await post(
        app,
        '/sm/api/upload',
        form([
          { name: 'format', bytes: 'xml' },
          { name: 'smfile', bytes: GIF, filename: 'dot.gif' },
        ]),
      );
      expect(answer.type).toMatch(/^application\/xml/);
      const parsed = new XMLParser().parse(answer.text) as { root: { code: string; data: V1Image } };
      expect(parsed.root.code).toBe('success');
      expect(parsed.root.data).toMatchObject({ width: 1, height: 1, filename: 'dot.gif' });
      const refused = await post(app, '/sm/api/upload?format=xml', form([{ name: 'other', bytes: 'x' }]));
      expect(new XMLParser().parse(refused.text)).toEqual({
        '?xml': '',
        root: { code: 'error', msg: 'No files were uploaded.' },
      });
    });

    it.each([
      [
        'no smfile part',
        () => form([{ name: 'file', bytes: tinyPng(2, 2), filename: 'a.png' }]),
        'No files were uploaded.',
      ],
      ['a body that is no form', () => 'just text', 'No files were uploaded.'],
      [
        'a zero-byte file',
        () => form([{ name: 'smfile', bytes: Buffer.alloc(0), filename: 'a.png' }]),
        'File is empty.',
      ],
      [
        'a file over SM_MAX_BYTES',
        () => form([{ name: 'smfile', bytes: randomBytes(300 * 1024), filename: 'a.png' }]),
        'File is too large.',
      ],
      [
        'a 50 MB file',
        () => form([{ name: 'smfile', bytes: Buffer.alloc(50 * 1024 * 1024, 7), filename: 'big.png' }]),
        'File is too large.',
      ],
      [
        'an extension not allowed',
        () => form([{ name: 'smfile', bytes: tinyPng(2, 2), filename: 'a.svg' }]),
        'File has an invalid extension.',
      ],
      [
        'an extension that lies',
        () => form([{ name: 'smfile', bytes: GIF, filename: 'a.png' }]),
        'File has an invalid extension.',
      ],
      [
        'HTML named as an image',
        () => form([{ name: 'smfile', bytes: '<html><script>alert(1)</script>', filename: 'a.png' }]),
        'File has an invalid extension.',
      ],
      [
        'a PNG header glued to HTML',
        () =>
          form([
            {
              name: 'smfile',
              bytes: Buffer.concat([tinyPng(4, 4).subarray(0, 33), Buffer.from('<script>alert(1)</script>')]),
              filename: 'a.png',
            },
          ]),
        'File has an invalid extension.',
      ],
      [
        'a truncated image',
        () => form([{ name: 'smfile', bytes: tinyPng(40, 40).subarray(0, 60), filename: 'a.png' }]),
        'File has an invalid extension.',
      ],
      [
        'a decompression bomb',
        () => form([{ name: 'smfile', bytes: bombPng(), filename: 'bomb.png' }]),
        'File is too large.',
      ],
      [
        'two smfile parts',
        () =>
          form([
            { name: 'smfile', bytes: tinyPng(3, 3), filename: 'a.png' },
            { name: 'smfile', bytes: tinyPng(5, 5), filename: 'b.png' },
          ]),
        'The upload was interrupted or malformed',
      ],
    ])('refuses %s with the documented error, keeping nothing', async (_label, body, msg) => {
      const objects = await storedObjects(app, 'blobs');
      const answer = await post(app, '/sm/api/upload', body());
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ code: 'error', msg });
      expect(await storedObjects(app, 'blobs')).toEqual(objects);
      expect(await storedObjects(app, 'tmp')).toEqual([]);
    });
  });

  describe('v1 list, clear and delete', () => {
    it('lists this address’s uploads of the last hour, clears the list without deleting, and deletes by hash', async () => {
      const fresh = await startTestApp();
      try {
        const first = (await upload(fresh, tinyPng(6, 6), 'one.png')).body.data as V1Image;
        const second = (await upload(fresh, tinyPng(7, 7), 'two.png')).body.data as V1Image;
        const listed = await getJson(fresh, '/sm/api/list');
        expect(listed.body.code).toBe('success');
        expect((listed.body.data as V1Image[]).map((image) => image.filename)).toEqual([
          'two.png',
          'one.png',
        ]);
        expect((listed.body.data as V1Image[])[1]).toEqual(first);

        expect((await getJson(fresh, '/sm/api/clear')).body).toEqual({
          code: 'success',
          msg: 'Clear file success',
        });
        expect((await getJson(fresh, '/sm/api/list')).body).toEqual({ code: 'success', data: [] });
        expect((await fetch(first.url)).status).toBe(200);

        const deleted = await getJson(fresh, new URL(second.delete).pathname);
        expect(deleted.body).toEqual({ code: 'success', msg: 'File delete success.' });
        expect((await fetch(second.url)).status).toBe(404);
        expect((await getJson(fresh, new URL(second.delete).pathname)).body.code).toBe('error');
        expect((await getJson(fresh, '/sm/api/delete/not-a-hash-of-ours-at-all')).body.code).toBe('error');
        expect((await fetch(first.url)).status).toBe(200);
      } finally {
        await fresh.close();
      }
    });

    it('counts the forwarded address only under TRUST_PROXY', async () => {
      const proxied = await startTestApp({ env: { TRUST_PROXY: 'true' } });
      try {
        await upload(proxied, tinyPng(8, 8), 'a.png', { 'x-forwarded-for': '203.0.113.7' });
        const mine = await getJson(proxied, '/sm/api/list', { 'x-forwarded-for': '203.0.113.7' });
        expect((mine.body.data as V1Image[]).map((image) => image.filename)).toEqual(['a.png']);
        const other = await getJson(proxied, '/sm/api/list', { 'x-forwarded-for': '198.51.100.1' });
        expect(other.body.data).toEqual([]);
      } finally {
        await proxied.close();
      }
      const direct = (await getJson(app, '/sm/api/list', { 'x-forwarded-for': '203.0.113.7' })).body
        .data as V1Image[];
      expect(direct.every((image) => image.filename !== 'a.png' || image.width !== 8)).toBe(true);
    });
  });

  describe('owners', () => {
    it('puts a signed-in upload into /sm.ms of that account, visible in /api/myfiles and GraphQL files', async () => {
      const user = await signUp(app);
      const answer = await upload(app, tinyPng(9, 9), 'mine.png', { authorization: user.token });
      expect(answer.body.code).toBe('success');
      const files = await graphql<{ files: { nodes: { path: string }[] } }>(
        app,
        `
          {
            files(folder: "/sm.ms") {
              nodes {
                path
              }
            }
          }
        `,
        {},
        user.token,
      );
      expect(files.data!.files.nodes).toEqual([{ path: '/sm.ms/mine.png' }]);
      const again = await upload(app, tinyPng(9, 9), 'mine-again.png', { authorization: user.token });
      expect((again.body.data as V1Image).url).toBe((answer.body.data as V1Image).url);
      const listed = await postJson(app, '/api/myfiles?cmd=normal', {
        token: user.token,
        user: user.userName,
        start: 0,
        count: 10,
      });
      expect((listed.body.files as { file_name: string }[]).map((file) => file.file_name)).toEqual([
        'mine.png',
      ]);
    });

    it('refuses a forged token instead of uploading anonymously, and anonymous uploads when SM_ANONYMOUS is off', async () => {
      const objects = await storedObjects(app, 'blobs');
      const forged = await upload(app, tinyPng(10, 10), 'x.png', {
        authorization: randomBytes(16).toString('hex'),
      });
      expect(forged.body).toEqual({ code: 'error', msg: 'Access Denied.' });
      expect(await storedObjects(app, 'blobs')).toEqual(objects);
      const closed = await startTestApp({ env: { SM_ANONYMOUS: 'false' } });
      try {
        expect((await upload(closed, tinyPng(2, 2))).body).toEqual({ code: 'error', msg: 'Access Denied.' });
      } finally {
        await closed.close();
      }
    });

    it('stores identical anonymous images once, yet each upload has its own delete hash', async () => {
      const png = tinyPng(11, 11);
      const one = (await upload(app, png, 'a.png')).body.data as V1Image;
      const two = (await upload(app, png, 'b.png')).body.data as V1Image;
      expect(one.hash).not.toBe(two.hash);
      const [{ count }] = await app.dataSource.query<{ count: number }[]>(
        `SELECT count(*)::int AS count FROM blobs WHERE sha256 = $1`,
        [createHash('sha256').update(png).digest('hex')],
      );
      expect(count).toBe(1);
      await getJson(app, new URL(one.delete).pathname);
      expect((await fetch(two.url)).status).toBe(200);
    });
  });

  describe('in GraphQL', () => {
    it('lists the viewer’s image uploads and finds one by its global id, for its owner only', async () => {
      const owner = await signUp(app);
      const other = await signUp(app);
      await upload(app, tinyPng(14, 15), 'graph.png', { authorization: owner.token });
      const listed = await graphql<{
        myImageUploads: { nodes: { id: string; url: string; width: number }[] };
      }>(
        app,
        `
          {
            myImageUploads(first: 5) {
              nodes {
                id
                url
                width
              }
            }
          }
        `,
        {},
        owner.token,
      );
      const [image] = listed.data!.myImageUploads.nodes;
      expect(image.width).toBe(14);
      const lookup = `query ($id: ID!) { node(id: $id) { ... on ImageUpload { url } } }`;
      expect((await graphql(app, lookup, { id: image.id }, owner.token)).data).toEqual({
        node: { url: image.url },
      });
      expect((await graphql(app, lookup, { id: image.id }, other.token)).data).toEqual({ node: null });
    });
  });

  describe('limits', () => {
    it('answers the frequency limit per address', async () => {
      const limited = await startTestApp({ env: { SM_UPLOADS_PER_MINUTE: '2' } });
      try {
        for (const size of [2, 3])
          expect((await upload(limited, tinyPng(size, size))).body.code).toBe('success');
        expect((await upload(limited, tinyPng(4, 4))).body).toEqual({
          code: 'error',
          msg: 'Upload file frequency limit.',
        });
      } finally {
        await limited.close();
      }
    });

    it('answers the daily count limit per address', async () => {
      const limited = await startTestApp({ env: { SM_UPLOADS_PER_DAY: '1' } });
      try {
        expect((await upload(limited, tinyPng(2, 2))).body.code).toBe('success');
        expect((await upload(limited, tinyPng(3, 3))).body).toEqual({
          code: 'error',
          msg: 'Upload file count limit.',
        });
      } finally {
        await limited.close();
      }
    });
  });
});

/** A real, complete PNG claiming 60 000 × 60 000 pixels: a few bytes that would take gigabytes to show. */
function bombPng(): Buffer {
  const small = tinyPng(1, 1);
  const bomb = Buffer.from(small);
  bomb.writeUInt32BE(60_000, 16);
  bomb.writeUInt32BE(60_000, 20);
  return bomb;
}
