import { md5, signUp, type TestUser } from '../helpers/accounts';
import { uploadFile } from '../helpers/files';
import { graphql, postJson } from '../helpers/http';
import { tinyPng } from '../helpers/images';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { uploadFile as sendUpload } from '../helpers/uploads';

const VIEWER = `{ viewer { userName usedBytes quotaBytes fileCount sessions { totalCount nodes { id current } } } }`;
const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { token } }`;
const REVOKE = `mutation ($id: ID!) { revokeSession(input: { id: $id }) { deletedIds userErrors { code field } } }`;

type Viewer = {
  viewer: {
    userName: string;
    usedBytes: number;
    quotaBytes: number | null;
    fileCount: number;
    sessions: { totalCount: number; nodes: { id: string; current: boolean }[] };
  };
};

describe('the viewer', () => {
  let app: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    app = await startTestApp({ env: { DEFAULT_QUOTA_BYTES: '1000000' } });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    alice = await signUp(app);
  });

  it('carries storage used, the quota and the file count', async () => {
    await uploadFile(app, alice.token, 'a.txt', 'x'.repeat(300));
    await uploadFile(app, alice.token, 'b.txt', 'y'.repeat(200), '/f');
    const { viewer } = (await graphql<Viewer>(app, VIEWER, {}, alice.token)).data!;
    expect(viewer).toMatchObject({
      userName: alice.userName,
      usedBytes: 500,
      quotaBytes: 1_000_000,
      fileCount: 2,
    });
  });

  it('lists the sessions, marks this one, and revokes another: its token stops working at once', async () => {
    const second = (
      await graphql<{ login: { token: string } }>(app, LOGIN, {
        input: { userName: alice.userName, passwordMd5: md5(alice.password) },
      })
    ).data!.login.token;
    const { sessions } = (await graphql<Viewer>(app, VIEWER, {}, alice.token)).data!.viewer;
    expect(sessions.totalCount).toBe(2);
    expect(sessions.nodes.filter((session) => session.current)).toHaveLength(1);
    const other = sessions.nodes.find((session) => !session.current)!;
    expect((await graphql(app, '{ viewer { userName } }', {}, second)).data).toEqual({
      viewer: { userName: alice.userName },
    });
    const revoked = await graphql(app, REVOKE, { id: other.id }, alice.token);
    expect(revoked.data).toEqual({ revokeSession: { deletedIds: [other.id], userErrors: [] } });
    expect((await graphql(app, '{ viewer { userName } }', {}, second)).errors?.[0].extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    expect((await graphql(app, '{ viewer { userName } }', {}, alice.token)).data).toBeTruthy();
  });

  it('answers NOT_FOUND for a session of someone else’s, and ends nothing', async () => {
    const bob = await signUp(app);
    const bobs = (await graphql<Viewer>(app, VIEWER, {}, bob.token)).data!.viewer.sessions.nodes[0];
    const answer = await graphql(app, REVOKE, { id: bobs.id }, alice.token);
    expect(answer.data).toEqual({
      revokeSession: { deletedIds: [], userErrors: [{ code: 'NOT_FOUND', field: ['input', 'id'] }] },
    });
    expect((await graphql(app, '{ viewer { userName } }', {}, bob.token)).data).toBeTruthy();
  });

  it('still answers the deprecated `me`', async () => {
    expect((await graphql(app, '{ me { userName } }', {}, alice.token)).data).toEqual({
      me: { userName: alice.userName },
    });
  });
});

describe('scalars and URLs', () => {
  let app: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    app = await startTestApp();
    alice = await signUp(app);
  });
  afterAll(() => app.close());

  it('refuses a byte count that is not a whole number from 0', async () => {
    for (const size of [1.5, -1, 2 ** 53]) {
      const answer = await sendUpload(app, alice.token, 'abc', { size });
      expect({ size, code: answer.errors?.[0].extensions?.code }).toEqual({ size, code: 'BAD_USER_INPUT' });
    }
  });

  it('gives a file one download URL within the hour, and says until when it works', async () => {
    const file = await uploadFile(app, alice.token, 'stable.png', tinyPng(2, 2));
    const DOWNLOAD = `query ($id: ID!) { node(id: $id) { ... on File { download { url expiresAt } } } }`;
    const read = async () =>
      (
        await graphql<{ node: { download: { url: string; expiresAt: string } } }>(
          app,
          DOWNLOAD,
          { id: file.id },
          alice.token,
        )
      ).data!.node.download;
    const [first, again] = [await read(), await read()];
    expect(again).toEqual(first);
    const expiresAt = Date.parse(first.expiresAt);
    expect(expiresAt % 3_600_000).toBe(0);
    expect(expiresAt - Date.now()).toBeGreaterThan(24 * 3_600_000 - 60_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(25 * 3_600_000);
    expect(new URL(first.url).searchParams.get('exp')).toBe(String(expiresAt / 1000));
    expect((await fetch(first.url)).status).toBe(200);
  });
});

describe('public counters', () => {
  let app: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    app = await startTestApp({ env: { COUNT_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'true' } });
    alice = await signUp(app);
  });
  afterAll(() => app.close());

  const RECORD = `mutation ($id: ID!) { recordShareDownload(input: { id: $id }) { counted share { downloadCount } } }`;

  async function sharedFile(name: string) {
    const file = await uploadFile(app, alice.token, name, name);
    const answer = await graphql<{ shareFile: { share: { id: string } } }>(
      app,
      `
        mutation ($id: ID!) {
          shareFile(input: { fileId: $id }) {
            share {
              id
            }
          }
        }
      `,
      { id: file.id },
      alice.token,
    );
    return { file, shareId: answer.data!.shareFile.share.id };
  }

  /** A call as a client at `ip` (behind the trusted proxy) makes it. */
  const recordAs = async (ip: string, id: string) => {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify({ query: RECORD, variables: { id } }),
    });
    return (
      (await response.json()) as {
        data: { recordShareDownload: { counted: boolean; share: { downloadCount: number } } };
      }
    ).data.recordShareDownload;
  };

  it('counts each call, up to COUNT_LIMIT_PER_MINUTE per client and share, then answers without counting', async () => {
    const { shareId } = await sharedFile('counted.txt');
    const answers = [];
    for (let call = 0; call < 5; call += 1) answers.push(await recordAs('203.0.113.1', shareId));
    expect(answers).toEqual([
      { counted: true, share: { downloadCount: 1 } },
      { counted: true, share: { downloadCount: 2 } },
      { counted: true, share: { downloadCount: 3 } },
      { counted: false, share: { downloadCount: 3 } },
      { counted: false, share: { downloadCount: 3 } },
    ]);
    expect(await recordAs('203.0.113.2', shareId)).toEqual({ counted: true, share: { downloadCount: 4 } });
  });

  it('lets no one client put a share at the top of the ranking', async () => {
    const { shareId: popular } = await sharedFile('popular.txt');
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      for (let call = 0; call < 2; call += 1) await recordAs(ip, popular);
    }
    const { shareId: pushed } = await sharedFile('pushed.txt');
    for (let call = 0; call < 20; call += 1) await recordAs('192.0.2.66', pushed);
    const ranking = await graphql<{ downloadRanking: { nodes: { id: string; downloadCount: number }[] } }>(
      app,
      '{ downloadRanking(first: 10) { nodes { id downloadCount } } }',
    );
    const order = ranking.data!.downloadRanking.nodes.map((share) => share.id);
    expect(order.indexOf(popular)).toBeLessThan(order.indexOf(pushed));
    expect(ranking.data!.downloadRanking.nodes.find((share) => share.id === pushed)?.downloadCount).toBe(3);
  });

  it('limits the spec-001 counters alike: dealsharefile?cmd=pv and sharepic?cmd=browse', async () => {
    const { file } = await sharedFile('door.txt');
    for (let call = 0; call < 5; call += 1) {
      expect(
        (await postJson(app, '/api/dealsharefile?cmd=pv', { md5: file.md5, filename: 'door.txt' })).body,
      ).toEqual({
        code: 0,
      });
    }
    const listed = await postJson(app, '/api/sharefiles?cmd=pvdesc', { start: 0, count: 50 });
    expect(listed.body.files).toEqual(expect.arrayContaining([{ filename: 'door.txt', pv: 3 }]));

    const picture = await uploadFile(app, alice.token, 'view.png', tinyPng(2, 2));
    const shared = await postJson(app, '/api/sharepic?cmd=share', {
      token: alice.token,
      user: alice.userName,
      md5: picture.md5,
      filename: 'view.png',
    });
    const views = [];
    for (let call = 0; call < 5; call += 1) {
      views.push((await postJson(app, '/api/sharepic?cmd=browse', { urlmd5: shared.body.urlmd5 })).body.pv);
    }
    expect(views).toEqual([1, 2, 3, 3, 3]);
  });
});
