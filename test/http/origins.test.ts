import { request } from 'node:http';
import { signUp, type TestUser } from '../helpers/accounts';
import { uploadFile } from '../helpers/files';
import { postJson } from '../helpers/http';
import { tinyPng } from '../helpers/images';
import { startTestApp, type TestApp } from '../helpers/test-app';

const FRIEND = 'https://app.friend.example';
const EVIL = 'https://evil.example';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with headers fetch() will not send as given (Host above all). */
function rawRequest(
  app: TestApp,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${app.url}${path}`, { method, headers }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () =>
        resolve({ status: response.statusCode!, headers: response.headers, body: text }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const ME_FILES = JSON.stringify({ query: '{ files(first: 1) { nodes { download { url } } } }' });

/** The URL GraphQL gives for alice's one file, asked with these headers. */
async function fileUrlAsked(app: TestApp, user: TestUser, headers: Record<string, string>): Promise<string> {
  const answer = await rawRequest(
    app,
    'POST',
    '/graphql',
    { 'content-type': 'application/json', authorization: `Bearer ${user.token}`, ...headers },
    ME_FILES,
  );
  return (JSON.parse(answer.body) as { data: { files: { nodes: { download: { url: string } }[] } } }).data
    .files.nodes[0].download.url;
}

describe('URLs with PUBLIC_URL unset: built from the request’s own origin', () => {
  let app: TestApp;
  let proxied: TestApp;
  let alice: TestUser;
  let carol: TestUser;
  beforeAll(async () => {
    app = await startTestApp({ env: { PUBLIC_URL: '' } });
    proxied = await startTestApp({ env: { PUBLIC_URL: '', TRUST_PROXY: 'true' } });
    alice = await signUp(app);
    carol = await signUp(proxied);
    await uploadFile(app, alice.token, 'a.png', tinyPng(2, 2));
    await uploadFile(proxied, carol.token, 'c.png', tinyPng(2, 2));
  });
  afterAll(() => Promise.all([app.close(), proxied.close()]));

  it('uses the Host the client addressed, whatever it is', async () => {
    const port = new URL(app.url).port;
    expect(await fileUrlAsked(app, alice, { host: `127.0.0.1:${port}` })).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${port}/files/`),
    );
    expect(await fileUrlAsked(app, alice, { host: 'nas.lan:8080' })).toMatch(
      /^http:\/\/nas\.lan:8080\/files\//,
    );
  });

  it('ignores X-Forwarded-Host and -Proto unless TRUST_PROXY says the proxy is trusted', async () => {
    const forwarded = { host: 'inner:80', 'x-forwarded-host': 'pics.example', 'x-forwarded-proto': 'https' };
    expect(await fileUrlAsked(app, alice, forwarded)).toMatch(/^http:\/\/inner\/files\//);
    expect(await fileUrlAsked(proxied, carol, forwarded)).toMatch(/^https:\/\/pics\.example\/files\//);
  });

  it('falls back to localhost:PORT for a Host that is no host name', async () => {
    const url = await fileUrlAsked(app, alice, { host: 'bad host"<>' });
    expect(url.startsWith(`http://localhost:${app.config.PORT}/files/`)).toBe(true);
  });

  it('gives the legacy door the same origin-relative URLs', async () => {
    const listed = await rawRequest(
      app,
      'POST',
      '/api/myfiles?cmd=normal',
      { host: 'nas.lan:8080', 'content-type': 'application/json' },
      JSON.stringify({ token: alice.token, user: alice.userName, start: 0, count: 10 }),
    );
    const [file] = (JSON.parse(listed.body) as { files: { url: string }[] }).files;
    expect(file.url).toMatch(/^http:\/\/nas\.lan:8080\/files\//);
  });
});

describe('CORS', () => {
  let app: TestApp;
  let alice: TestUser;
  let fileUrl: string;
  let shareUrl: string;
  let pictureUrl: string;
  beforeAll(async () => {
    app = await startTestApp({ env: { CORS_ORIGINS: `${FRIEND}, http://localhost:3000` } });
    alice = await signUp(app);
    const file = await uploadFile(app, alice.token, 'cors.png', tinyPng(3, 3));
    fileUrl = file.download.url;
    const body = { token: alice.token, user: alice.userName, md5: file.md5, filename: 'cors.png' };
    await postJson(app, '/api/dealfile?cmd=share', body);
    const listed = await postJson(app, '/api/sharefiles?cmd=normal', { start: 0, count: 1 });
    shareUrl = (listed.body.files as { url: string }[])[0].url;
    const picture = await postJson(app, '/api/sharepic?cmd=share', body);
    pictureUrl = `${app.url}/p/${picture.body.urlmd5 as string}`;
  });
  afterAll(() => app.close());

  const path = (url: string) => url.slice(app.url.length);

  it('answers a preflight for /graphql from a listed origin, credentials and Authorization included', async () => {
    const answer = await rawRequest(app, 'OPTIONS', '/graphql', {
      origin: FRIEND,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    });
    expect(answer.status).toBe(204);
    expect(answer.headers).toMatchObject({
      'access-control-allow-origin': FRIEND,
      'access-control-allow-credentials': 'true',
      'access-control-allow-headers': 'authorization, content-type',
      vary: expect.stringMatching(/Origin/) as unknown,
    });
    expect(answer.headers['access-control-allow-methods']).toMatch(/POST/);
  });

  it('gives an origin that is not listed no CORS answer, on /graphql and the REST doors', async () => {
    const preflight = await rawRequest(app, 'OPTIONS', '/api/myfiles', {
      origin: EVIL,
      'access-control-request-method': 'POST',
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const answer = await rawRequest(app, 'POST', '/api/sharefiles?cmd=count', { origin: EVIL }, '{}');
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers a listed origin on the REST doors', async () => {
    const answer = await rawRequest(
      app,
      'POST',
      '/api/sharefiles?cmd=count',
      { origin: 'http://localhost:3000' },
      '{}',
    );
    expect(JSON.parse(answer.body)).toMatchObject({ code: 0 });
    expect(answer.headers['access-control-allow-origin']).toBe('http://localhost:3000');
  });

  it('lets any origin read file responses, without credentials: signed, shared and picture URLs', async () => {
    for (const url of [fileUrl, shareUrl, pictureUrl]) {
      const answer = await rawRequest(app, 'GET', path(url), { origin: EVIL });
      expect({ url, status: answer.status, allow: answer.headers['access-control-allow-origin'] }).toEqual({
        url,
        status: 200,
        allow: '*',
      });
      expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
      expect(answer.headers['access-control-expose-headers']).toMatch(/Content-Disposition/);
    }
  });

  it('answers a ranged cross-origin read’s preflight for a file', async () => {
    const answer = await rawRequest(app, 'OPTIONS', path(fileUrl), {
      origin: EVIL,
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'range',
    });
    expect(answer.status).toBe(204);
    expect(answer.headers['access-control-allow-origin']).toBe('*');
    expect(answer.headers['access-control-allow-headers']).toMatch(/Range/);
  });

  it('builds URLs on PUBLIC_URL when it is set, whatever the request says', async () => {
    expect(await fileUrlAsked(app, alice, { host: 'elsewhere.example' })).toMatch(
      new RegExp(`^${app.url}/files/`),
    );
  });
});
