import { decodeJwt } from 'jose';
import { createHash, randomBytes } from 'node:crypto';
import {
  netdiskGet,
  netdiskPost,
  netdiskSignUp,
  netdiskUpload,
  UNAUTHORIZED,
  type NetdiskUser,
} from '../../helpers/netdisk';
import { startTestApp, type TestApp } from '../../helpers/test-app';

interface LinkData {
  downloadURL: string;
  destination: string;
  'efficient time': string;
  key: string | null;
}

const LEGACY_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

describe('Netdisk direct links', () => {
  let app: TestApp;
  let alice: NetdiskUser;
  let bob: NetdiskUser;
  const bytes = randomBytes(50_000);
  beforeAll(async () => {
    app = await startTestApp({ env: { CORS_ORIGINS: 'https://spa.example' } });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    alice = await netdiskSignUp(app);
    bob = await netdiskSignUp(app);
    expect((await netdiskUpload(app, alice.token, '/share', 'asd.bin', bytes)).body.code).toBe(200);
  });

  const shareFile = (query: Record<string, string>, user = alice) =>
    netdiskGet<LinkData>(app, '/api/shareFile', { destination: '/share/asd.bin', ...query }, user.token);
  const storage = (user: NetdiskUser, url: string, destination: string) =>
    netdiskPost(app, '/api/storage', { url, destination }, { authorization: user.token });

  async function fetchBytes(url: string, headers: Record<string, string> = {}) {
    const response = await fetch(url, { headers });
    return { response, body: Buffer.from(await response.arrayBuffer()) };
  }

  describe('shareFile', () => {
    it('makes a link that lives 900 s by default, and serves the file at /download and /straight', async () => {
      const before = Date.now();
      const answer = await shareFile({});
      expect(answer.body).toMatchObject({ code: 200, state: 'success', msg: '获取成功' });
      const data = answer.body.data!;
      expect(data).toEqual({
        downloadURL: expect.stringMatching(
          new RegExp(`^${app.url}/Netdisk/download/[\\w-]+\\.[\\w-]+\\.[\\w-]+$`),
        ),
        destination: '/share/asd.bin',
        'efficient time': expect.stringMatching(LEGACY_TIME),
        key: null,
      });
      const lifetime = decodeJwt(data.downloadURL.split('/').at(-1)!).exp! * 1000 - before;
      expect(lifetime).toBeGreaterThan(895_000);
      expect(lifetime).toBeLessThanOrEqual(901_000);

      for (const url of [data.downloadURL, data.downloadURL.replace('/download/', '/straight/')]) {
        const { response, body } = await fetchBytes(url);
        expect(response.status).toBe(200);
        expect(body.equals(bytes)).toBe(true);
        expect(response.headers.get('access-control-allow-origin')).toBe('*');
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      }
      const { response, body } = await fetchBytes(data.downloadURL, { range: 'bytes=10-19' });
      expect(response.status).toBe(206);
      expect(body.equals(bytes.subarray(10, 20))).toBe(true);
    });

    it('keeps a given key, or makes a random 6-character one, and refuses a wrong key with 300', async () => {
      const keyed = (await shareFile({ key: 'secret1', time: '60' })).body.data!;
      expect(keyed.key).toBe('secret1');
      const random = (await shareFile({ getRandom: 'true' })).body.data!;
      expect(random.key).toMatch(/^[A-Z0-9]{6}$/);

      const { response, body } = await fetchBytes(`${keyed.downloadURL}?key=secret1`);
      expect(response.status).toBe(200);
      expect(body.equals(bytes)).toBe(true);
      for (const url of [
        keyed.downloadURL,
        `${keyed.downloadURL}?key=wrong`,
        `${random.downloadURL}?key=secret1`,
      ]) {
        const refused = await fetch(url);
        expect(await refused.json()).toEqual({ code: 300, state: 'exception', msg: '密钥错误', data: null });
      }
      expect((await fetchBytes(`${random.downloadURL}?key=${random.key}`)).body.equals(bytes)).toBe(true);
    });

    it('answers an expired link with 600 in the documented words', async () => {
      const link = (await shareFile({ time: '1' })).body.data!;
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const answer = (await (await fetch(link.downloadURL)).json()) as { code: number; msg: string };
      expect(answer).toMatchObject({ code: 600, state: 'exception', data: null });
      expect(answer.msg).toMatch(
        /^JWT expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\. Current time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, a difference of \d+ milliseconds\. {2}Allowed clock skew: 0 milliseconds\.$/,
      );
    });

    it('answers 404 once the file is deleted', async () => {
      const link = (await shareFile({})).body.data!;
      await netdiskPost(
        app,
        '/api/deleteFile',
        { destination: '/share/asd.bin' },
        { authorization: alice.token },
      );
      expect(await (await fetch(link.downloadURL)).json()).toMatchObject({ code: 404, state: 'exception' });
    });

    it('cannot be altered to reach another file or to live longer', async () => {
      await netdiskUpload(app, alice.token, '/share', 'other.bin', 'the other file');
      const [otherId] = await app.dataSource.query<{ id: string }[]>(
        `SELECT id FROM nodes WHERE name = 'other.bin'`,
      );
      const link = (await shareFile({ time: '60' })).body.data!;
      const [head, payload, signature] = link.downloadURL.split('/').at(-1)!.split('.');
      const claims = decodeJwt(`${head}.${payload}.${signature}`);
      const altered = (change: Record<string, unknown>) =>
        `${head}.${Buffer.from(JSON.stringify({ ...claims, ...change })).toString('base64url')}.${signature}`;
      const base = link.downloadURL.slice(0, link.downloadURL.lastIndexOf('/') + 1);
      for (const token of [
        altered({ sub: otherId.id }),
        altered({ exp: claims.exp! + 86_400 }),
        `${head}.${payload}.x`,
      ]) {
        const answer = await fetch(`${base}${token}`);
        expect(await answer.json()).toEqual({ code: 300, state: 'exception', msg: '链接无效', data: null });
      }
      // A session JWT is not a direct link, though both are signed with SECRET.
      expect(await (await fetch(`${base}${alice.token}`)).json()).toMatchObject({
        code: 300,
        msg: '链接无效',
      });
    });

    it('makes links only to the caller’s own files, and refuses a time that is no number of seconds', async () => {
      expect((await shareFile({}, bob)).body).toMatchObject({ code: 404, state: 'exception' });
      for (const time of ['-1', 'soon', '1e3']) {
        expect((await shareFile({ time })).body).toMatchObject({ code: 300, state: 'exception' });
      }
      expect((await netdiskGet(app, '/api/shareFile', { destination: '/share/asd.bin' })).body).toEqual(
        UNAUTHORIZED,
      );
    });
  });

  describe('storage', () => {
    it('saves the file behind a link into the caller’s destination, as one more reference to its bytes', async () => {
      const link = (await shareFile({ key: 'k1' })).body.data!;
      const answer = await storage(bob, `${link.downloadURL}?key=k1`, '/saved');
      expect(answer.body).toEqual({ code: 200, state: 'success', msg: '文件储存成功', data: null });
      const download = await fetch(`${app.url}/Netdisk/api/downloadFile?destination=/saved/asd.bin`, {
        headers: { authorization: bob.token },
      });
      expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
      const references = await app.dataSource.query<{ ref_count: number; nodes: string }[]>(
        `SELECT b.ref_count, (SELECT count(*) FROM nodes WHERE blob_id = b.id) AS nodes
           FROM blobs b WHERE b.sha256 = $1`,
        [createHash('sha256').update(bytes).digest('hex')],
      );
      expect(references).toHaveLength(1);
      expect(references[0].ref_count).toBe(Number(references[0].nodes));
    });

    it('answers form data too, and an existing name with the documented 404 "file has been exit"', async () => {
      const link = (await shareFile({})).body.data!;
      const form = new FormData();
      form.append('destination', '/share');
      form.append('url', link.downloadURL);
      const response = await fetch(`${app.url}/Netdisk/api/storage`, {
        method: 'POST',
        headers: { authorization: alice.token },
        body: form,
      });
      expect(await response.json()).toEqual({
        code: 404,
        state: 'exception',
        msg: 'file has been exit',
        data: null,
      });
      expect((await storage(bob, link.downloadURL, '/')).body.code).toBe(200);
      expect((await storage(bob, link.downloadURL, '/')).body).toMatchObject({
        code: 404,
        msg: 'file has been exit',
      });
    });

    it('answers an expired link with 600, a wrong key with 300 and no link at all with 300', async () => {
      const expiring = (await shareFile({ time: '1' })).body.data!;
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect((await storage(bob, expiring.downloadURL, '/')).body).toMatchObject({
        code: 600,
        state: 'exception',
      });
      const keyed = (await shareFile({ key: 'right' })).body.data!;
      expect((await storage(bob, `${keyed.downloadURL}?key=wrong`, '/')).body).toMatchObject({ code: 300 });
      for (const url of ['', 'not a url', `${app.url}/Netdisk/download/abc`, 'file:///etc/passwd']) {
        expect((await storage(bob, url, '/')).body).toEqual({
          code: 300,
          state: 'exception',
          msg: '链接无效',
          data: null,
        });
      }
      const bobs = await app.dataSource.query<unknown[]>(
        `SELECT 1 FROM nodes n JOIN users u ON u.id = n.owner_id WHERE u.user_name = $1`,
        [bob.userName],
      );
      expect(bobs).toEqual([]);
    });

    it('refuses a destination that climbs out, changing nothing', async () => {
      const link = (await shareFile({})).body.data!;
      expect((await storage(bob, link.downloadURL, '/../../x')).body).toMatchObject({ code: 300 });
    });
  });

  describe('a browser client on another origin', () => {
    it('answers the preflight of an allowed origin with Authorization allowed, and no other origin', async () => {
      const preflight = (origin: string) =>
        fetch(`${app.url}/Netdisk/api/searchFile`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'GET',
            'access-control-request-headers': 'authorization',
          },
        });
      const allowed = await preflight('https://spa.example');
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://spa.example');
      expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      const other = await preflight('https://evil.example');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();

      const call = await fetch(`${app.url}/Netdisk/api/searchFile?name=asd`, {
        headers: { origin: 'https://spa.example', authorization: alice.token },
      });
      expect(call.headers.get('access-control-allow-origin')).toBe('https://spa.example');
      expect(((await call.json()) as { data: { file: string[] } }).data.file).toEqual(['/share/asd.bin']);
    });
  });
});
