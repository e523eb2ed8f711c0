import { signUp, type TestUser } from '../../helpers/accounts';
import { uploadFile } from '../../helpers/files';
import { graphql, postJson } from '../../helpers/http';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const FILE_BY_CONTENT = `query ($md5: String!, $name: String!) { fileByContent(md5: $md5, name: $name) { id name md5 } }`;

/** Spec 001 `create_time`: `YYYY-MM-DD HH:mm:ss`, here in Asia/Shanghai (UTC+8, no daylight saving). */
const shanghaiTime = (instant: Date) =>
  new Date(instant.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');

describe.each([
  ['with Redis', true],
  ['without Redis', false],
])('spec 001 public shares (dealfile share, dealsharefile, sharefiles) %s', (_label, redis) => {
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  beforeAll(async () => {
    app = await startTestApp({ redis, env: { TIME_ZONE: 'Asia/Shanghai' } });
    [alice, bob, carol] = await Promise.all([signUp(app), signUp(app), signUp(app)]);
  });
  afterAll(() => app.close());

  const post = async (path: string, body: unknown) => (await postJson(app, path, body)).body;
  const owner = (user: TestUser) => ({ token: user.token, user: user.userName });
  const shareCount = async () =>
    (await app.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM shares`))[0].n;
  const sharedPv = async (md5: string, name: string) =>
    (
      await app.dataSource.query<{ pv: number }[]>(`SELECT pv FROM shares WHERE md5 = $1 AND name = $2`, [
        md5,
        name,
      ])
    )[0]?.pv;
  const share = (user: TestUser, file: { md5: string | null; name: string }) =>
    post('/api/dealfile?cmd=share', { ...owner(user), md5: file.md5, filename: file.name });
  const hasFile = async (user: TestUser, file: { md5: string | null; name: string }) =>
    Boolean(
      (
        await graphql<{ fileByContent: unknown }>(
          app,
          FILE_BY_CONTENT,
          { md5: file.md5, name: file.name },
          user.token,
        )
      ).data?.fileByContent,
    );

  describe('dealfile?cmd=share', () => {
    it('shares the caller’s file and answers 0; the share is public at once', async () => {
      const file = await uploadFile(app, alice.token, 'share-me.txt', 'shared by alice');
      expect(await share(alice, file)).toEqual({ code: 0 });
      expect(await sharedPv(file.md5, 'share-me.txt')).toBe(0);
    });

    it('answers 3 when the same (md5, filename) is already shared, by the caller or anyone else', async () => {
      const mine = await uploadFile(app, alice.token, 'twice.txt', 'same bytes, same name');
      const theirs = await uploadFile(app, bob.token, 'twice.txt', 'same bytes, same name');
      expect(await share(alice, mine)).toEqual({ code: 0 });
      expect(await share(alice, mine)).toEqual({ code: 3 });
      expect(await share(bob, theirs)).toEqual({ code: 3 });
    });

    it('answers 1 for someone else’s file and shares nothing', async () => {
      const bobs = await uploadFile(app, bob.token, 'bob-only.txt', 'only bob has this');
      const before = await shareCount();
      expect(await share(alice, bobs)).toEqual({ code: 1 });
      expect(await share(alice, { md5: bobs.md5, name: 'no-such-name.txt' })).toEqual({ code: 1 });
      expect(await shareCount()).toBe(before);
    });

    it('answers 4 without a token, with a bad one or with another user’s, and shares nothing', async () => {
      const file = await uploadFile(app, alice.token, 'guarded.txt', 'guarded');
      const before = await shareCount();
      const target = { md5: file.md5, filename: file.name };
      expect(await post('/api/dealfile?cmd=share', { user: alice.userName, ...target })).toEqual({ code: 4 });
      expect(
        await post('/api/dealfile?cmd=share', { token: 'f'.repeat(32), user: alice.userName, ...target }),
      ).toEqual({ code: 4 });
      expect(
        await post('/api/dealfile?cmd=share', { token: bob.token, user: alice.userName, ...target }),
      ).toEqual({ code: 4 });
      expect(await shareCount()).toBe(before);
    });
  });

  describe('sharefiles', () => {
    let app2: TestApp;
    let dave: TestUser;
    let erin: TestUser;
    const files: Record<string, { md5: string; name: string; size: number }> = {};

    beforeAll(async () => {
      // A server of its own, so the list holds exactly what these tests share.
      app2 = await startTestApp({ redis, env: { TIME_ZONE: 'Asia/Shanghai' } });
      [dave, erin] = await Promise.all([signUp(app2), signUp(app2)]);
      for (const [user, name, bytes] of [
        [dave, 'Makefile', 'all:\n\techo hi\n'],
        [dave, 'Photo.PNG', 'not really a png'],
        [erin, 'report.tar.gz', 'gzip-ish bytes'],
      ] as const) {
        const node = await uploadFile(app2, user.token, name, bytes);
        files[name] = { md5: node.md5, name, size: node.size };
        const answer = await postJson(app2, '/api/dealfile?cmd=share', {
          token: user.token,
          user: user.userName,
          md5: node.md5,
          filename: name,
        });
        expect(answer.body).toEqual({ code: 0 });
      }
    });
    afterAll(() => app2.close());

    const post2 = async (path: string, body: unknown) => (await postJson(app2, path, body)).body;

    it('counts the shares with a GET, as documented, and with a POST', async () => {
      const viaGet = await fetch(`${app2.url}/api/sharefiles?cmd=count`);
      expect(viaGet.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await viaGet.json()).toEqual({ code: 0, total: 3 });
      expect(await post2('/api/sharefiles?cmd=count', {})).toEqual({ code: 0, total: 3 });
    });

    it('lists shares newest first with exactly the documented fields, without any token', async () => {
      const answer = await post2('/api/sharefiles?cmd=normal', { start: 0, count: 10 });
      const rows = await app2.dataSource.query<{ name: string; created_at: Date }[]>(
        `SELECT name, created_at FROM shares`,
      );
      const createdAt = Object.fromEntries(rows.map((row) => [row.name, row.created_at]));
      const entry = (user: TestUser, name: string, type: string) => ({
        user: user.userName,
        md5: files[name].md5,
        create_time: shanghaiTime(createdAt[name]),
        file_name: name,
        share_status: 1,
        pv: 0,
        url: expect.stringMatching(new RegExp(`^${app2.url}/s/[^/]+/`)),
        size: files[name].size,
        type,
      });
      expect(answer).toEqual({
        code: 0,
        count: 3,
        total: 3,
        files: [
          entry(erin, 'report.tar.gz', 'gz'),
          entry(dave, 'Photo.PNG', 'png'),
          entry(dave, 'Makefile', 'null'),
        ],
      });
      const entries = answer.files as { url: string; file_name: string }[];
      expect(Object.keys(entries[0])).toEqual([
        'user',
        'md5',
        'create_time',
        'file_name',
        'share_status',
        'pv',
        'url',
        'size',
        'type',
      ]);
      const download = await fetch(entries[2].url);
      expect(download.status).toBe(200);
      expect(await download.text()).toBe('all:\n\techo hi\n');
    });

    it('pages with start and count, and leaves files out of an empty page', async () => {
      const second = await post2('/api/sharefiles?cmd=normal', { start: 1, count: 1 });
      expect(second).toMatchObject({ code: 0, count: 1, total: 3, files: [{ file_name: 'Photo.PNG' }] });
      expect(await post2('/api/sharefiles?cmd=normal', { start: 3, count: 5 })).toEqual({
        code: 0,
        count: 0,
        total: 3,
      });
    });

    it('answers 1 when start or count is missing, not an integer or out of range', async () => {
      for (const cmd of ['normal', 'pvdesc']) {
        for (const page of [
          {},
          { start: 0 },
          { count: 1 },
          { start: -1, count: 1 },
          { start: 0.5, count: 1 },
          { start: 0, count: 0 },
          { start: 0, count: 1001 },
          { start: 0, count: 2.5 },
          { start: '0', count: '1' },
          { start: null, count: 1 },
        ]) {
          expect({ cmd, page, answer: await post2(`/api/sharefiles?cmd=${cmd}`, page) }).toEqual({
            cmd,
            page,
            answer: { code: 1 },
          });
        }
      }
      expect((await post2('/api/sharefiles?cmd=normal', { start: 0, count: 1000 })).code).toBe(0);
    });

    it('answers 1 to an unknown or missing cmd', async () => {
      expect(await post2('/api/sharefiles?cmd=nope', { start: 0, count: 1 })).toEqual({ code: 1 });
      expect(await post2('/api/sharefiles', { start: 0, count: 1 })).toEqual({ code: 1 });
      expect(await post2('/api/dealsharefile?cmd=nope', {})).toEqual({ code: 1 });
    });

    it('counts public downloads with dealsharefile?cmd=pv, without a token, and ranks by them', async () => {
      const pv = (name: string) =>
        post2('/api/dealsharefile?cmd=pv', { user: 'anyone', md5: files[name].md5, filename: name });
      expect(await pv('Makefile')).toEqual({ code: 0 });
      expect(await pv('Makefile')).toEqual({ code: 0 });
      expect(await pv('Photo.PNG')).toEqual({ code: 0 });
      expect(
        await post2('/api/dealsharefile?cmd=pv', { md5: files.Makefile.md5, filename: 'unknown' }),
      ).toEqual({ code: 1 });

      expect(await post2('/api/sharefiles?cmd=pvdesc', { start: 0, count: 10 })).toEqual({
        code: 0,
        count: 3,
        total: 3,
        files: [
          { filename: 'Makefile', pv: 2 },
          { filename: 'Photo.PNG', pv: 1 },
          { filename: 'report.tar.gz', pv: 0 },
        ],
      });
      expect(await post2('/api/sharefiles?cmd=pvdesc', { start: 1, count: 1 })).toEqual({
        code: 0,
        count: 1,
        total: 3,
        files: [{ filename: 'Photo.PNG', pv: 1 }],
      });
      const listed = await post2('/api/sharefiles?cmd=normal', { start: 0, count: 10 });
      expect((listed.files as { file_name: string; pv: number }[]).map((f) => [f.file_name, f.pv])).toEqual([
        ['report.tar.gz', 0],
        ['Photo.PNG', 1],
        ['Makefile', 2],
      ]);
    });
  });

  describe('dealsharefile?cmd=save', () => {
    it('copies a shared file into the caller’s files and answers 5 the second time', async () => {
      const file = await uploadFile(app, alice.token, 'keep-this.txt', 'worth keeping');
      expect(await share(alice, file)).toEqual({ code: 0 });
      const body = { ...owner(carol), md5: file.md5, filename: 'keep-this.txt' };
      expect(await hasFile(carol, file)).toBe(false);
      expect(await post('/api/dealsharefile?cmd=save', body)).toEqual({ code: 0 });
      expect(await hasFile(carol, file)).toBe(true);
      expect(await post('/api/dealsharefile?cmd=save', body)).toEqual({ code: 5 });
    });

    it('answers 5 to the sharer, who already has the file', async () => {
      const file = await uploadFile(app, bob.token, 'own-share.txt', 'bob shares and saves');
      expect(await share(bob, file)).toEqual({ code: 0 });
      expect(
        await post('/api/dealsharefile?cmd=save', { ...owner(bob), md5: file.md5, filename: file.name }),
      ).toEqual({ code: 5 });
    });

    it('answers 1 when the file is not shared', async () => {
      const file = await uploadFile(app, alice.token, 'private.txt', 'not shared');
      expect(
        await post('/api/dealsharefile?cmd=save', { ...owner(carol), md5: file.md5, filename: file.name }),
      ).toEqual({ code: 1 });
      expect(await hasFile(carol, file)).toBe(false);
    });

    it('answers 4 without a token or with another user’s, and saves nothing', async () => {
      const file = await uploadFile(app, alice.token, 'no-free-copies.txt', 'ask first');
      expect(await share(alice, file)).toEqual({ code: 0 });
      const target = { md5: file.md5, filename: file.name };
      expect(await post('/api/dealsharefile?cmd=save', { user: carol.userName, ...target })).toEqual({
        code: 4,
      });
      expect(
        await post('/api/dealsharefile?cmd=save', { token: bob.token, user: carol.userName, ...target }),
      ).toEqual({ code: 4 });
      expect(await hasFile(carol, file)).toBe(false);
      expect(await hasFile(bob, file)).toBe(false);
    });
  });

  describe('dealsharefile?cmd=cancel', () => {
    it('stops the caller’s share and answers 1 once it is no longer shared', async () => {
      const file = await uploadFile(app, alice.token, 'short-lived.txt', 'here and gone');
      expect(await share(alice, file)).toEqual({ code: 0 });
      const body = { ...owner(alice), md5: file.md5, filename: file.name };
      expect(await post('/api/dealsharefile?cmd=cancel', body)).toEqual({ code: 0 });
      expect(await sharedPv(file.md5, file.name)).toBeUndefined();
      expect(await post('/api/dealsharefile?cmd=cancel', body)).toEqual({ code: 1 });
      expect(await hasFile(alice, file)).toBe(true);
      expect(await share(alice, file)).toEqual({ code: 0 });
    });

    it('answers 1 for someone else’s share and leaves it shared', async () => {
      const file = await uploadFile(app, alice.token, 'not-yours.txt', 'alice keeps sharing');
      expect(await share(alice, file)).toEqual({ code: 0 });
      expect(
        await post('/api/dealsharefile?cmd=cancel', { ...owner(bob), md5: file.md5, filename: file.name }),
      ).toEqual({ code: 1 });
      expect(await sharedPv(file.md5, file.name)).toBe(0);
    });

    it('requires a token although §12 lists none: 4 without one or with another user’s', async () => {
      const file = await uploadFile(app, alice.token, 'keep-sharing.txt', 'still shared');
      expect(await share(alice, file)).toEqual({ code: 0 });
      const target = { md5: file.md5, filename: file.name };
      expect(await post('/api/dealsharefile?cmd=cancel', { user: alice.userName, ...target })).toEqual({
        code: 4,
      });
      expect(
        await post('/api/dealsharefile?cmd=cancel', { token: bob.token, user: alice.userName, ...target }),
      ).toEqual({ code: 4 });
      expect(await sharedPv(file.md5, file.name)).toBe(0);
    });
  });

  it('answers 1 to a body that is not JSON', async () => {
    for (const path of [
      '/api/dealfile?cmd=share',
      '/api/dealsharefile?cmd=save',
      '/api/sharefiles?cmd=normal',
    ]) {
      expect(await post(path, '{"start":')).toEqual({ code: 1 });
    }
  });
});
