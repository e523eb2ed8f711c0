import { randomBytes } from 'node:crypto';
import { signUp, type TestUser } from '../helpers/accounts';
import { deleteItem } from '../helpers/files';
import { graphql, postEndlessBody, postJson } from '../helpers/http';
import { describeFile, desktopUploadBody, md5Of, postUpload } from '../helpers/legacy-upload';
import { startTestApp, type TestApp } from '../helpers/test-app';
import {
  formAroundFile,
  storedObjects,
  uploadCode,
  uploadFile,
  uploadForm,
  type UploadAnswer,
  type UserError,
} from '../helpers/uploads';
import { eventually } from '../helpers/wait';

const QUOTA = 10_000;

const VIEWER = `{ viewer { usedBytes quotaBytes } }`;
const SET_QUOTA = `mutation ($userName: String!, $quotaBytes: ByteCount) {
  setStorageQuota(input: { userName: $userName, quotaBytes: $quotaBytes }) {
    user { userName quotaBytes usedBytes }
    userErrors { code field message }
  }
}`;
const INSTANT_UPLOAD = `mutation ($md5: String!, $name: String!) {
  instantUpload(input: { md5: $md5, name: $name, folder: "/" }) { file { id } userErrors { code field message } }
}`;

interface SetQuotaAnswer {
  setStorageQuota: {
    user: { userName: string; quotaBytes: number | null; usedBytes: number } | null;
    userErrors: UserError[];
  };
}

/** The user errors of a refused upload: what the user can fix, so no top-level error and no file. */
function expectRefusedUpload(answer: UploadAnswer, code: string) {
  expect(uploadCode(answer)).toBe(code);
  expect(answer.errors).toBeUndefined();
  expect(answer.data!.uploadFile).toEqual({
    file: null,
    userErrors: [{ code, field: ['input', 'file'], message: expect.any(String) }],
  });
}

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

  const viewer = async (user: TestUser) =>
    (await graphql<{ viewer: { usedBytes: number; quotaBytes: number | null } }>(app, VIEWER, {}, user.token))
      .data!.viewer;
  const fileNames = async (user: TestUser) =>
    (
      await app.dataSource.query<{ name: string }[]>(
        `SELECT n.name FROM nodes n JOIN users u ON u.id = n.owner_id WHERE u.user_name = $1 AND n.kind = 'file'
          ORDER BY n.name`,
        [user.userName],
      )
    ).map((row) => row.name);

  it('shows used and total bytes in `viewer`, and counts every file in full, shared content included', async () => {
    expect(await viewer(alice)).toEqual({ usedBytes: 0, quotaBytes: QUOTA });
    const bytes = randomBytes(3000);
    await uploadFile(app, alice.token, bytes, { name: 'one.bin' });
    await uploadFile(app, alice.token, bytes, { name: 'two.bin' });
    expect(await viewer(alice)).toEqual({ usedBytes: 6000, quotaBytes: QUOTA });
  });

  it('refuses an upload past the quota with QUOTA_EXCEEDED and keeps nothing of it', async () => {
    await uploadFile(app, alice.token, randomBytes(6000), { name: 'big.bin' });
    const answer = await uploadFile(app, alice.token, randomBytes(5000), { name: 'too-much.bin' });
    expectRefusedUpload(answer, 'QUOTA_EXCEEDED');
    expect(await fileNames(alice)).toEqual(['big.bin']);
    expect(await viewer(alice)).toMatchObject({ usedBytes: 6000 });
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
    expectRefusedUpload(answer as UploadAnswer, 'QUOTA_EXCEEDED');
    await eventually(async () => expect(await storedObjects(app, 'tmp')).toEqual([]));
  });

  it('refuses a declared size past the quota before reading the bytes', async () => {
    const answer = await uploadFile(app, alice.token, randomBytes(100), { size: QUOTA + 1 });
    expectRefusedUpload(answer, 'QUOTA_EXCEEDED');
  });

  it('lets two racing uploads that each fit, but not both, keep only one', async () => {
    const answers = await Promise.all(
      ['left.bin', 'right.bin'].map((name) => uploadFile(app, alice.token, randomBytes(6000), { name })),
    );
    expect(answers.map(uploadCode).sort()).toEqual(['OK', 'QUOTA_EXCEEDED']);
    expect(await fileNames(alice)).toHaveLength(1);
    expect(await viewer(alice)).toMatchObject({ usedBytes: 6000 });
  });

  it('gives the room back when a file is deleted', async () => {
    const first = await uploadFile(app, alice.token, randomBytes(8000), { name: 'first.bin' });
    expect(uploadCode(await uploadFile(app, alice.token, randomBytes(8000), { name: 'second.bin' }))).toBe(
      'QUOTA_EXCEEDED',
    );
    await deleteItem(app, alice.token, first.data!.uploadFile.file!.id);
    expect(await viewer(alice)).toMatchObject({ usedBytes: 0 });
    expect(uploadCode(await uploadFile(app, alice.token, randomBytes(8000), { name: 'second.bin' }))).toBe(
      'OK',
    );
  });

  it('counts instant uploads and saved shares against the quota too', async () => {
    const bytes = randomBytes(6000);
    const original = await uploadFile(app, alice.token, bytes, { name: 'mine.bin' });
    const copy = await graphql<{ instantUpload: { file: unknown; userErrors: UserError[] } }>(
      app,
      INSTANT_UPLOAD,
      { md5: md5Of(bytes), name: 'copy.bin' },
      alice.token,
    );
    expect(copy.errors).toBeUndefined();
    expect(copy.data!.instantUpload.file).toBeNull();
    expect(copy.data!.instantUpload.userErrors.map((error) => error.code)).toEqual(['QUOTA_EXCEEDED']);
    expect(await fileNames(alice)).toEqual(['mine.bin']);

    const bob = await signUp(app);
    await uploadFile(app, bob.token, randomBytes(6000), { name: 'bobs.bin' });
    await postJson(app, '/api/dealfile?cmd=share', {
      token: alice.token,
      user: alice.userName,
      md5: original.data!.uploadFile.file!.md5,
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
    expect(await viewer(alice)).toEqual({ usedBytes: 0, quotaBytes: 20000 });
    expect(uploadCode(await uploadFile(app, alice.token, randomBytes(15000), { name: 'roomy.bin' }))).toBe(
      'OK',
    );
  });

  it('lets an administrator set a quota, and no one else (FORBIDDEN and NOT_FOUND as user errors)', async () => {
    const admin = await signUp(app);
    await app.dataSource.query(`UPDATE users SET is_admin = true WHERE user_name = $1`, [admin.userName]);
    const refused = await graphql<SetQuotaAnswer>(
      app,
      SET_QUOTA,
      { userName: admin.userName, quotaBytes: 1 },
      alice.token,
    );
    expect(refused.errors).toBeUndefined();
    expect(refused.data!.setStorageQuota).toEqual({
      user: null,
      userErrors: [{ code: 'FORBIDDEN', field: ['input', 'userName'], message: expect.any(String) }],
    });
    expect(await viewer(admin)).toEqual({ usedBytes: 0, quotaBytes: QUOTA });

    const set = await graphql<SetQuotaAnswer>(
      app,
      SET_QUOTA,
      { userName: alice.userName, quotaBytes: 50_000 },
      admin.token,
    );
    expect(set.data).toEqual({
      setStorageQuota: {
        user: { userName: alice.userName, quotaBytes: 50_000, usedBytes: 0 },
        userErrors: [],
      },
    });
    expect(uploadCode(await uploadFile(app, alice.token, randomBytes(40_000), { name: 'granted.bin' }))).toBe(
      'OK',
    );

    const cleared = await graphql<SetQuotaAnswer>(
      app,
      SET_QUOTA,
      { userName: alice.userName, quotaBytes: null },
      admin.token,
    );
    expect(cleared.data).toEqual({
      setStorageQuota: {
        user: { userName: alice.userName, quotaBytes: QUOTA, usedBytes: 40_000 },
        userErrors: [],
      },
    });
    const unknown = await graphql<SetQuotaAnswer>(
      app,
      SET_QUOTA,
      { userName: 'nobody-here', quotaBytes: 1 },
      admin.token,
    );
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data!.setStorageQuota).toEqual({
      user: null,
      userErrors: [{ code: 'NOT_FOUND', field: ['input', 'userName'], message: expect.any(String) }],
    });
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
    expect((await graphql(app, VIEWER, {}, alice.token)).data).toEqual({
      viewer: { usedBytes: 50_000, quotaBytes: null },
    });
  });
});
