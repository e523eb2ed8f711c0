import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { signUp, type TestUser } from '../helpers/accounts';
import { describeFile, desktopUploadBody, md5Of, webFields, webUploadForm } from '../helpers/legacy-upload';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { storedObjects } from '../helpers/uploads';

const EVIL = 'https://evil.example';
const FRIEND = 'https://app.friend.example';

/**
 * The legacy web client signs in with a `token` cookie, which a browser attaches to requests any
 * other site makes too: another site's form must not be able to act with it.
 */
describe('credentials from the cookie on cross-site requests', () => {
  let app: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    app = await startTestApp({ env: { CORS_ORIGINS: FRIEND } });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    alice = await signUp(app);
  });

  const cookie = (user: TestUser) => `userName=${user.userName}; token=${user.token}`;

  async function post(path: string, body: string | Buffer | FormData, headers: Record<string, string>) {
    const response = await fetch(`${app.url}${path}`, { method: 'POST', headers, body });
    return { status: response.status, headers: response.headers, body: await response.json() };
  }

  /** A file of alice's in her root folder, uploaded with her token in the header. */
  async function aliceFile(name: string) {
    const bytes = randomBytes(64);
    const body = desktopUploadBody(bytes, { parameters: describeFile(alice.userName, name, bytes) });
    expect((await post('/api/upload', body, { authorization: alice.token })).body).toEqual({ code: 0 });
    return { md5: md5Of(bytes), filename: name };
  }

  async function myFileNames(user: TestUser): Promise<string[]> {
    const listed = await post(
      '/api/myfiles?cmd=normal',
      JSON.stringify({ token: user.token, user: user.userName, start: 0, count: 100 }),
      {},
    );
    return ((listed.body as { files?: { file_name: string }[] }).files ?? []).map((file) => file.file_name);
  }

  it('refuses a cross-site text/plain form that deletes a file (code 4), and the file stays', async () => {
    const file = await aliceFile('keep-me.bin');
    // What `<form enctype="text/plain">` with one field named `{"md5":…,"x":"` and value `"}` sends.
    const formBody = `${JSON.stringify({ ...file, x: '' }).slice(0, -2)}="}`;
    const answer = await post('/api/dealfile?cmd=del', formBody, {
      'content-type': 'text/plain',
      cookie: cookie(alice),
      origin: EVIL,
      'sec-fetch-site': 'cross-site',
    });
    expect(answer).toMatchObject({ status: 200, body: { code: 4 } });
    expect(await myFileNames(alice)).toEqual(['keep-me.bin']);
  });

  it('refuses a cross-site multipart upload with the cookie (code 4) and keeps nothing', async () => {
    const bytes = randomBytes(100);
    const form = webUploadForm('planted.bin', bytes, webFields(alice.userName, bytes));
    const answer = await post('/api/upload', form, { cookie: cookie(alice), origin: EVIL });
    expect(answer.body).toEqual({ code: 4 });
    expect(await myFileNames(alice)).toEqual([]);
    expect(await storedObjects(app, 'tmp')).toEqual([]);
  });

  it.each([
    ['Sec-Fetch-Site: cross-site alone', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site alone', { 'sec-fetch-site': 'same-site' }],
    ['an Origin of another port', { origin: 'http://127.0.0.1:1' }],
    ['Origin: null', { origin: 'null' }],
  ])('treats %s as signed out', async (_label, headers) => {
    const file = await aliceFile('to-share.bin');
    const answer = await post('/api/dealfile?cmd=share', JSON.stringify(file), {
      cookie: cookie(alice),
      ...headers,
    });
    expect(answer.body).toEqual({ code: 4 });
  });

  it('keeps serving the legacy web client from its own origin with the cookie alone, JSON and multipart', async () => {
    const sameOrigin = { cookie: cookie(alice), origin: app.url, 'sec-fetch-site': 'same-origin' };
    const bytes = randomBytes(100);
    const form = webUploadForm('web.bin', bytes, webFields(alice.userName, bytes));
    expect((await post('/api/upload', form, sameOrigin)).body).toEqual({ code: 0 });
    const shared = await post(
      '/api/dealfile?cmd=share',
      JSON.stringify({ user: alice.userName, md5: md5Of(bytes), filename: 'web.bin' }),
      { ...sameOrigin, 'content-type': 'application/json' },
    );
    expect(shared.body).toEqual({ code: 0 });
  });

  it('keeps serving it behind a reverse proxy that ends TLS and passes the original Host', async () => {
    const file = await aliceFile('proxied.bin');
    // The browser saw https://pics.example; the proxy forwards plain HTTP with that Host.
    const body = JSON.stringify({ user: alice.userName, ...file });
    const answer = await new Promise<string>((resolve, reject) => {
      const outgoing = request(
        `${app.url}/api/dealfile?cmd=share`,
        {
          method: 'POST',
          headers: {
            host: 'pics.example',
            origin: 'https://pics.example',
            'sec-fetch-site': 'same-origin',
            cookie: cookie(alice),
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve(text));
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
    expect(JSON.parse(answer)).toEqual({ code: 0 });
  });

  it('leaves requests with neither header alone, such as the desktop client’s', async () => {
    const file = await aliceFile('desktop.bin');
    const answer = await post('/api/dealfile?cmd=del', JSON.stringify(file), { cookie: cookie(alice) });
    expect(answer.body).toEqual({ code: 0 });
  });

  it('accepts a token in the body or the Authorization header from anywhere', async () => {
    const first = await aliceFile('by-body.bin');
    const byBody = await post('/api/dealfile?cmd=share', JSON.stringify({ token: alice.token, ...first }), {
      origin: EVIL,
      'sec-fetch-site': 'cross-site',
    });
    expect(byBody.body).toEqual({ code: 0 });
    const second = await aliceFile('by-header.bin');
    const byHeader = await post('/api/dealfile?cmd=share', JSON.stringify(second), {
      authorization: alice.token,
      origin: EVIL,
      'sec-fetch-site': 'cross-site',
    });
    expect(byHeader.body).toEqual({ code: 0 });
  });

  it('accepts the cookie from an origin listed in CORS_ORIGINS, and answers it with CORS and credentials', async () => {
    const file = await aliceFile('friendly.bin');
    const answer = await post('/api/dealfile?cmd=share', JSON.stringify(file), {
      cookie: cookie(alice),
      origin: FRIEND,
      'sec-fetch-site': 'cross-site',
    });
    expect(answer.body).toEqual({ code: 0 });
    expect(answer.headers.get('access-control-allow-origin')).toBe(FRIEND);
    expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('treats a cross-site GraphQL request with the cookie as signed out', async () => {
    const query = JSON.stringify({ query: '{ viewer { userName } }' });
    const headers = { 'content-type': 'application/json', cookie: cookie(alice) };
    const crossSite = await post('/graphql', query, { ...headers, origin: EVIL });
    expect(crossSite.body).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    const sameSite = await post('/graphql', query, { ...headers, origin: app.url });
    expect(sameSite.body).toEqual({ data: { viewer: { userName: alice.userName } } });
  });
});
