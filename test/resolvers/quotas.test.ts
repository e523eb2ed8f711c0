import { randomBytes } from 'node:crypto';
import { signUp, type TestUser } from '../helpers/accounts';
import { graphql, postEndlessBody, postJson, type GraphQLResponse } from '../helpers/http';
import { describeFile, desktopUploadBody, md5Of, postUpload } from '../helpers/legacy-upload';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { formAroundFile, storedObjects, uploadFile, uploadForm } from '../helpers/uploads';
import { eventually } from '../helpers/wait';

const QUOTA = 10_000;

const ME = `{ me { usedBytes quotaBytes } }`;
const SET_QUOTA = `mutation ($userName: String!, $quotaBytes: Float) {
  setStorageQuota(userName: $userName, quotaBytes: $quotaBytes) { userName quotaBytes usedBytes }
}`;
const DELETE = `mutation ($id: ID!) { deleteNode(id: $id) }`;
const INSTANT_UPLOAD = `mutation ($md5: String!, $name: String!) {
  instantUpload(md5: $md5, name: $name, folder: "/") { id }
}`;

const codeOf = (answer: GraphQLResponse<unknown>) => answer.errors?.[0]?.extensions?.code ?? 'OK';

describe('storage quotas', () => {
  let app: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    app = await startTestApp({
      env: { DEFAULT_QUOTA_BYTES: String(QUOTA), MAX_UPLOAD_BYTES: String(10 * 1024 ** 2) },
    });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    alice = await signUp(app);
  });

  const me = async (user: TestUser) =>
    (await graphql<{ me: { usedBytes: number; quotaBytes: number | null } }>(app, ME, {}, user.token)).data!
      .me;
  const fileNames = async (user: TestUser) =>
    (
      await app.dataSource.query<{ name: string }[]>(
        `SELECT n.name FROM nodes n JOIN users u ON u.id = n.owner_id WHERE u.user_name = $1 AND n.kind = 'file'
          ORDER BY n.name`,
        [user.userName],
      )
    ).map((row) => row.name);

  it('shows used and total bytes in `me`, and counts every file in full, shared content included', async () => {
    expect(await me(alice)).toEqual({ usedBytes: 0, quotaBytes: QUOTA });
    const bytes = randomBytes(3000);
    await uploadFile(app, alice.token, bytes, { name: 'one.bin' });
    await uploadFile(app, alice.token, bytes, { name: 'two.bin' });
    expect(await me(alice)).toEqual({ usedBytes: 6000, quotaBytes: QUOTA });
  });

  it('refuses an upload past the quota with QUOTA_EXCEEDED and keeps nothing of it', async () => {
    await uploadFile(app, alice.token, randomBytes(6000), { name: 'big.bin' });
    const answer = await uploadFile(app, alice.token, randomBytes(5000), { name: 'too-much.bin' });
    expect(codeOf(answer)).toBe('QUOTA_EXCEEDED');
    expect(await fileNames(alice)).toEqual(['big.bin']);
    expect(await me(alice)).toMatchObject({ usedBytes: 6000 });
    await eventually(async () => expect(await storedObjects(app, 'tmp')).toEqual([]));
  });

  it('refuses it while it streams, long before the end of a huge body', async () => {
    const { head, tail, contentType } = await formAroundFile(uploadForm('', { name: 'endless.bin' }));
    const { sent, answer } = await postEndlessBody(
      app,
      '/graphql',
      {
        'content-type': contentType,
        authorization: `Bearer ${alice.token}`,
        'apollo-require-preflight': 'true',
      },
      head,
      head.length + 1024 ** 3 + tail.length,
      64 * 1024 ** 2,
    );
    expect(sent).toBeLessThan(16 * 1024 ** 2);
    expect((answer as GraphQLResponse).errors?.[0].extensions?.code).toBe('QUOTA_EXCEEDED');
    await eventually(async () => expect(await storedObjects(app, 'tmp')).toEqual([]));
  });

  it('refuses a declared size past the quota before reading the bytes', async () => {
    const answer = await uploadFile(app, alice.token, randomBytes(100), { size: QUOTA + 1 });
    expect(codeOf(answer)).toBe('QUOTA_EXCEEDED');
  });

  it('lets two racing uploads that each fit, but not both, keep only one', async () => {
    const answers = await Promise.all(
      ['left.bin', 'right.bin'].map((name) => uploadFile(app, alice.token, randomBytes(6000), { name })),
    );
    expect(answers.map(codeOf).sort()).toEqual(['OK', 'QUOTA_EXCEEDED']);
    expect(await fileNames(alice)).toHaveLength(1);
    expect(await me(alice)).toMatchObject({ usedBytes: 6000 });
  });

  it('gives the room back when a file is deleted', async () => {
    const first = await uploadFile(app, alice.token, randomBytes(8000), { name: 'first.bin' });
    expect(codeOf(await uploadFile(app, alice.token, randomBytes(8000), { name: 'second.bin' }))).toBe(
      'QUOTA_EXCEEDED',
    );
    await graphql(app, DELETE, { id: first.data!.uploadFile.id }, alice.token);
    expect(await me(alice)).toMatchObject({ usedBytes: 0 });
    expect(codeOf(await uploadFile(app, alice.token, randomBytes(8000), { name: 'second.bin' }))).toBe('OK');
  });

  it('counts instant uploads and saved shares against the quota too', async () => {
    const bytes = randomBytes(6000);
    const original = await uploadFile(app, alice.token, bytes, { name: 'mine.bin' });
    const copy = await graphql(app, INSTANT_UPLOAD, { md5: md5Of(bytes), name: 'copy.bin' }, alice.token);
    expect(codeOf(copy)).toBe('QUOTA_EXCEEDED');

    const bob = await signUp(app);
    await uploadFile(app, bob.token, randomBytes(6000), { name: 'bobs.bin' });
    await postJson(app, '/api/dealfile?cmd=share', {
      token: alice.token,
      user: alice.userName,
      md5: original.data!.uploadFile.md5,
      filename: 'mine.bin',
    });
    const saved = await postJson(app, '/api/dealsharefile?cmd=save', {
      token: bob.token,
      user: bob.userName,
      md5: md5Of(bytes),
      filename: 'mine.bin',
    });
    expect(saved.body).toEqual({ code: 1 });
    expect(await fileNames(bob)).toEqual(['bobs.bin']);
  });

  it('answers the spec-001 upload with code 1 past the quota, and keeps nothing', async () => {
    await uploadFile(app, alice.token, randomBytes(9000), { name: 'almost-full.bin' });
    const bytes = randomBytes(2000);
    const body = desktopUploadBody(bytes, { parameters: describeFile(alice.userName, 'over.bin', bytes) });
    expect((await postUpload(app, body, { authorization: alice.token })).body).toEqual({ code: 1 });
    expect(await fileNames(alice)).toEqual(['almost-full.bin']);
  });

  it('takes a per-account quota from the database, and null falls back to the default', async () => {
    await app.dataSource.query(`UPDATE users SET quota_bytes = 20000 WHERE user_name = $1`, [alice.userName]);
    expect(await me(alice)).toEqual({ usedBytes: 0, quotaBytes: 20000 });
    expect(codeOf(await uploadFile(app, alice.token, randomBytes(15000), { name: 'roomy.bin' }))).toBe('OK');
  });

  it('lets an administrator set a quota, and no one else', async () => {
    const admin = await signUp(app);
    await app.dataSource.query(`UPDATE users SET is_admin = true WHERE user_name = $1`, [admin.userName]);
    const refused = await graphql(app, SET_QUOTA, { userName: admin.userName, quotaBytes: 1 }, alice.token);
    expect(codeOf(refused)).toBe('FORBIDDEN');

    const set = await graphql(app, SET_QUOTA, { userName: alice.userName, quotaBytes: 50_000 }, admin.token);
    expect(set.data).toEqual({
      setStorageQuota: { userName: alice.userName, quotaBytes: 50_000, usedBytes: 0 },
    });
    expect(codeOf(await uploadFile(app, alice.token, randomBytes(40_000), { name: 'granted.bin' }))).toBe(
      'OK',
    );

    const cleared = await graphql(
      app,
      SET_QUOTA,
      { userName: alice.userName, quotaBytes: null },
      admin.token,
    );
    expect(cleared.data).toMatchObject({ setStorageQuota: { quotaBytes: QUOTA, usedBytes: 40_000 } });
    expect(
      codeOf(await graphql(app, SET_QUOTA, { userName: 'nobody-here', quotaBytes: 1 }, admin.token)),
    ).toBe('NOT_FOUND');
  });
});

describe('without DEFAULT_QUOTA_BYTES', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('leaves storage unlimited and says so', async () => {
    const alice = await signUp(app);
    await uploadFile(app, alice.token, randomBytes(50_000), { name: 'any.bin' });
    expect((await graphql(app, ME, {}, alice.token)).data).toEqual({
      me: { usedBytes: 50_000, quotaBytes: null },
    });
  });
});
