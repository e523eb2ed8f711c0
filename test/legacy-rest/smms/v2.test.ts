import { randomBytes } from 'node:crypto';
import { signUp, type TestUser } from '../../helpers/accounts';
import { graphql } from '../../helpers/http';
import { tinyPng } from '../../helpers/images';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { storedObjects } from '../../helpers/uploads';

interface V2Answer {
  success: boolean;
  code: string;
  message: string;
  data: Record<string, unknown> | Record<string, unknown>[] | null;
  RequestId: string;
  images?: string;
  [extra: string]: unknown;
}

async function v2(
  app: TestApp,
  path: string,
  init: { method?: string; token?: string; body?: FormData | URLSearchParams } = {},
): Promise<V2Answer> {
  const response = await fetch(`${app.url}${path}`, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: init.token ? { authorization: init.token } : {},
    body: init.body,
  });
  expect(response.status).toBe(200);
  return (await response.json()) as V2Answer;
}

function imageForm(bytes: Buffer, filename = 'shot.png'): FormData {
  const form = new FormData();
  form.append('smfile', new Blob([bytes]), filename);
  return form;
}

async function apiToken(app: TestApp, user: TestUser, scope: 'UPLOAD' | 'FULL'): Promise<string> {
  const created = await graphql<{ createApiToken: { token: string } }>(
    app,
    `
      mutation ($input: CreateApiTokenInput!) {
        createApiToken(input: $input) {
          token
          userErrors {
            code
          }
        }
      }
    `,
    { input: { name: `t-${randomBytes(3).toString('hex')}`, scope } },
    user.token,
  );
  return created.data!.createApiToken.token;
}

/** How PicGo 2's SM.MS uploader reads an answer: `success`, else `image_repeated` with `images`. */
function picgo2Url(answer: V2Answer): string {
  if (answer.success) return (answer.data as { url: string }).url;
  if (answer.code === 'image_repeated' && answer.images) return answer.images;
  throw new Error(`PicGo 2 reports a failure: ${answer.message}`);
}

/** How the `picgo` package (3.x) reads it: a success only for code 200 or message "success". */
function picgo3Url(answer: V2Answer): string {
  if (String(answer.code) === '200' || answer.message === 'success')
    return (answer.data as { url: string }).url;
  throw new Error(`PicGo 3 reports a failure: ${answer.message}`);
}

describe.each(['/sm/api/v2', '/api/v2'])('sm.ms v2 at %s', (base) => {
  let app: TestApp;
  let user: TestUser;
  beforeAll(async () => {
    app = await startTestApp();
    user = await signUp(app);
  });
  afterAll(() => app.close());

  it('uploads with a token (bare or Basic) into the account, answering the v2 envelope', async () => {
    const token = await apiToken(app, user, 'FULL');
    const png = tinyPng(12, 8);
    const answer = await v2(app, `${base}/upload`, { token: `Basic ${token}`, body: imageForm(png) });
    expect(answer).toMatchObject({ success: true, code: 'success', message: 'success' });
    expect(answer.RequestId).toMatch(/.+/);
    const data = answer.data as Record<string, unknown>;
    expect(Object.keys(data).sort()).toEqual(
      [
        'delete',
        'file_id',
        'filename',
        'hash',
        'height',
        'page',
        'path',
        'size',
        'storename',
        'timestamp',
        'url',
        'width',
      ].sort(),
    );
    expect(data).toMatchObject({ width: 12, height: 8, size: png.length, filename: 'shot.png' });
    expect(data.delete).toBe(`${app.url}${base}/delete/${String(data.hash)}`);
    expect((await fetch(data.url as string)).status).toBe(200);

    const bare = await v2(app, `${base}/upload`, { token, body: imageForm(tinyPng(13, 8), 'b.png') });
    expect(bare.success).toBe(true);
  });

  it('ends with the image’s URL in PicGo 2 and PicGo 3 alike, twice, storing it once', async () => {
    const token = await apiToken(app, user, 'UPLOAD');
    const png = tinyPng(21, 21);
    const first = await v2(app, `${base}/upload`, { token, body: imageForm(png, 'same.png') });
    const second = await v2(app, `${base}/upload`, { token, body: imageForm(png, 'same.png') });
    expect(second).toMatchObject({ success: true, code: 'image_repeated', message: 'success' });
    for (const answer of [first, second]) {
      expect(picgo2Url(answer)).toBe((first.data as { url: string }).url);
      expect(picgo3Url(answer)).toBe((first.data as { url: string }).url);
    }
    expect(second.images).toBe((first.data as { url: string }).url);
  });

  it('lists the token’s uploads in upload_history, and an UPLOAD token may delete them but see nothing else', async () => {
    const owner = await signUp(app);
    const uploadToken = await apiToken(app, owner, 'UPLOAD');
    const fullToken = await apiToken(app, owner, 'FULL');
    const mine = await v2(app, `${base}/upload`, {
      token: uploadToken,
      body: imageForm(tinyPng(30, 3), 'mine.png'),
    });
    await v2(app, `${base}/upload`, { token: fullToken, body: imageForm(tinyPng(31, 3), 'other.png') });

    const history = await v2(app, `${base}/upload_history`, { token: uploadToken });
    expect(history).toMatchObject({ success: true, CurrentPage: 1, Count: 1, TotalPages: 1 });
    expect((history.data as { filename: string }[]).map((image) => image.filename)).toEqual(['mine.png']);
    const all = await v2(app, `${base}/upload_history`, { token: fullToken });
    expect((all.data as { filename: string }[]).map((image) => image.filename)).toEqual(['other.png']);

    expect(await v2(app, `${base}/profile`, { token: uploadToken, method: 'POST' })).toMatchObject({
      success: false,
      code: 'unauthorized',
    });
    const deleted = await v2(app, new URL((mine.data as { delete: string }).delete).pathname, {});
    expect(deleted).toMatchObject({ success: true, message: 'File delete success.' });
    expect((await fetch((mine.data as { url: string }).url)).status).toBe(404);
    expect(await v2(app, new URL((mine.data as { delete: string }).delete).pathname, {})).toMatchObject({
      success: false,
    });
  });

  it('answers profile with the user name, disk usage and limit', async () => {
    const token = await apiToken(app, user, 'FULL');
    const profile = await v2(app, `${base}/profile`, { token, method: 'POST' });
    expect(profile).toMatchObject({ success: true, data: { username: user.userName, disk_limit_raw: null } });
    expect((profile.data as { disk_usage_raw: number }).disk_usage_raw).toBeGreaterThan(0);
  });

  it('issues a token for a user name and password, and refuses a wrong password', async () => {
    const issued = await v2(app, `${base}/token`, {
      body: new URLSearchParams({ username: user.userName, password: user.password }),
    });
    expect(issued).toMatchObject({ success: true, data: { token: expect.stringMatching(/^pv_/) } });
    const token = (issued.data as { token: string }).token;
    expect((await v2(app, `${base}/upload`, { token, body: imageForm(tinyPng(5, 9)) })).success).toBe(true);
    const refused = await v2(app, `${base}/token`, {
      body: new URLSearchParams({ username: user.userName, password: 'wrong' }),
    });
    expect(refused).toMatchObject({ success: false });
  });

  it('refuses a forged or revoked token, keeping nothing', async () => {
    const token = await apiToken(app, user, 'UPLOAD');
    const list = await graphql<{ viewer: { apiTokens: { nodes: { id: string }[] } } }>(
      app,
      `
        {
          viewer {
            apiTokens(first: 100) {
              nodes {
                id
              }
            }
          }
        }
      `,
      {},
      user.token,
    );
    for (const { id } of list.data!.viewer.apiTokens.nodes) {
      await graphql(
        app,
        `
          mutation ($id: ID!) {
            revokeApiToken(input: { id: $id }) {
              deletedIds
            }
          }
        `,
        { id },
        user.token,
      );
    }
    const objects = await storedObjects(app, 'blobs');
    for (const credential of [token, `pv_${'A'.repeat(40)}`, 'Basic nonsense']) {
      const answer = await v2(app, `${base}/upload`, { token: credential, body: imageForm(tinyPng(40, 40)) });
      expect(answer).toMatchObject({ success: false, code: 'unauthorized', message: 'Access Denied.' });
    }
    expect(await storedObjects(app, 'blobs')).toEqual(objects);
  });

  it('lists this address’s recent uploads in history', async () => {
    const history = await v2(app, `${base}/history`);
    expect(history.success).toBe(true);
    expect((history.data as unknown[]).length).toBeGreaterThan(0);
  });
});
