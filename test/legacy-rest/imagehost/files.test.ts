import { randomBytes } from 'node:crypto';
import { md5, signUp, type TestUser } from '../../helpers/accounts';
import { postJson } from '../../helpers/http';
import { describeFile, desktopUploadBody, md5Of, postUpload } from '../../helpers/legacy-upload';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { countRows, storedObjects } from '../../helpers/uploads';
import { eventually } from '../../helpers/wait';

async function upload(app: TestApp, user: TestUser, name: string, bytes: Buffer | string) {
  const body = desktopUploadBody(bytes, { parameters: describeFile(user.userName, name, bytes) });
  const answer = await postUpload(app, body, { authorization: user.token });
  expect(answer.body).toEqual({ code: 0 });
}

const credentials = (user: TestUser) => ({ token: user.token, user: user.userName });

async function blobRefCounts(app: TestApp, contentMd5: string): Promise<number[]> {
  const rows = await app.dataSource.query<{ ref_count: number }[]>(
    `SELECT ref_count FROM blobs WHERE md5 = $1`,
    [contentMd5],
  );
  return rows.map((row) => row.ref_count);
}

describe.each([
  ['with Redis', true],
  ['without Redis', false],
])('spec 001 file routes %s', (_label, redis) => {
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    app = await startTestApp({ redis });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    alice = await signUp(app);
    bob = await signUp(app);
  });

  describe('/api/md5', () => {
    it('adds a file by md5 that someone shares publicly: 0, one blob, one more reference', async () => {
      const bytes = randomBytes(5000);
      await upload(app, alice, 'shared.bin', bytes);
      const shared = await postJson(app, '/api/dealfile?cmd=share', {
        ...credentials(alice),
        md5: md5Of(bytes),
        filename: 'shared.bin',
      });
      expect(shared.body).toEqual({ code: 0 });
      const answer = await postJson(app, '/api/md5', {
        ...credentials(bob),
        md5: md5Of(bytes),
        fileName: 'copy.bin',
      });
      expect(answer).toMatchObject({ status: 200, body: { code: 0 } });
      expect(await blobRefCounts(app, md5Of(bytes))).toEqual([2]);
      const listed = await postJson(app, '/api/myfiles?cmd=normal', {
        ...credentials(bob),
        start: 0,
        count: 10,
      });
      expect(listed.body.files).toEqual([
        expect.objectContaining({ file_name: 'copy.bin', md5: md5Of(bytes), size: 5000 }),
      ]);
    });

    it('answers 1 for content only in someone else’s private files, and stores the bytes once when they follow', async () => {
      const bytes = randomBytes(3000);
      await upload(app, alice, 'private.bin', bytes);
      const answer = await postJson(app, '/api/md5', {
        ...credentials(bob),
        md5: md5Of(bytes),
        filename: 'guess.bin',
      });
      expect(answer.body).toEqual({ code: 1 });
      expect(await blobRefCounts(app, md5Of(bytes))).toEqual([1]);

      const objects = (await storedObjects(app, 'blobs')).length;
      await upload(app, bob, 'guess.bin', bytes);
      expect(await blobRefCounts(app, md5Of(bytes))).toEqual([2]);
      expect(await storedObjects(app, 'blobs')).toHaveLength(objects);
    });

    it('reads the name from filename or fileName, and answers 0 to the uploader under another name', async () => {
      const bytes = randomBytes(100);
      await upload(app, alice, 'one.bin', bytes);
      expect(
        (await postJson(app, '/api/md5', { ...credentials(alice), md5: md5Of(bytes), filename: 'two.bin' }))
          .body,
      ).toEqual({ code: 0 });
      expect(await blobRefCounts(app, md5Of(bytes))).toEqual([2]);
    });

    it('answers 5 when the user already has that (md5, name)', async () => {
      const bytes = randomBytes(100);
      await upload(app, alice, 'mine.bin', bytes);
      const answer = await postJson(app, '/api/md5', {
        ...credentials(alice),
        md5: md5Of(bytes),
        filename: 'mine.bin',
      });
      expect(answer.body).toEqual({ code: 5 });
      expect(await blobRefCounts(app, md5Of(bytes))).toEqual([1]);
    });

    it('answers 1 for content the server does not have, and for bad input', async () => {
      const nodes = await countRows(app, 'nodes');
      for (const body of [
        { ...credentials(alice), md5: md5('never uploaded'), filename: 'x.bin' },
        { ...credentials(alice), md5: 'xyz', filename: 'x.bin' },
        { ...credentials(alice), md5: md5('a') },
        { ...credentials(alice), filename: 'x.bin' },
        { ...credentials(alice), md5: md5('a'), filename: '../x' },
        { ...credentials(alice), md5: [md5('a')], filename: 'x' },
      ]) {
        expect({ body, answer: (await postJson(app, '/api/md5', body)).body }).toEqual({
          body,
          answer: { code: 1 },
        });
      }
      expect((await postJson(app, '/api/md5', '{"md5":')).body).toEqual({ code: 1 });
      expect(await countRows(app, 'nodes')).toBe(nodes);
    });

    it('answers 4 without a valid token, or for another user than the token’s', async () => {
      const bytes = randomBytes(100);
      await upload(app, alice, 'secret.bin', bytes);
      for (const body of [
        { user: bob.userName, md5: md5Of(bytes), filename: 'x.bin' },
        { token: md5('forged'), user: bob.userName, md5: md5Of(bytes), filename: 'x.bin' },
        { token: alice.token, user: bob.userName, md5: md5Of(bytes), filename: 'x.bin' },
      ]) {
        expect((await postJson(app, '/api/md5', body)).body).toEqual({ code: 4 });
      }
      expect(await blobRefCounts(app, md5Of(bytes))).toEqual([1]);
    });
  });

  describe('/api/myfiles', () => {
    it('counts the user’s files: 0 at first, then each upload', async () => {
      expect((await postJson(app, '/api/myfiles?cmd=count', credentials(alice))).body).toEqual({
        code: 0,
        total: 0,
      });
      await upload(app, alice, 'a.txt', 'a');
      await upload(app, alice, 'b.txt', 'b');
      await upload(app, bob, 'c.txt', 'c');
      expect((await postJson(app, '/api/myfiles?cmd=count', credentials(alice))).body).toEqual({
        code: 0,
        total: 2,
      });
    });

    it('lists exactly the documented fields, newest first, create_time in TIME_ZONE', async () => {
      await upload(app, alice, 'Qt5Svg.DLL', 'dll bytes');
      await upload(app, alice, 'Makefile', 'all: build');
      const answer = await postJson(app, '/api/myfiles?cmd=normal', {
        ...credentials(alice),
        start: 0,
        count: 10,
      });
      expect(answer.body).toEqual({
        code: 0,
        count: 2,
        total: 2,
        files: [
          {
            user: alice.userName,
            md5: md5Of('all: build'),
            create_time: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
            file_name: 'Makefile',
            share_status: 0,
            pv: 0,
            url: expect.stringMatching(new RegExp(`^${app.url}/files/`)),
            size: 10,
            type: 'null',
          },
          expect.objectContaining({ file_name: 'Qt5Svg.DLL', type: 'dll', size: 9 }),
        ],
      });
      const files = answer.body.files as Record<string, unknown>[];
      expect(Object.keys(files[0])).toEqual([
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
      const [row] = await app.dataSource.query<{ t: string }[]>(
        `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS t FROM nodes WHERE name = 'Makefile'`,
      );
      expect(files[0].create_time).toBe(row.t);
      expect(await (await fetch(files[0].url as string)).text()).toBe('all: build');
    });

    it('reports share_status 1 for a shared file and 0 for the others', async () => {
      await upload(app, alice, 'public.txt', 'public');
      await upload(app, alice, 'private.txt', 'private');
      const share = await postJson(app, '/api/dealfile?cmd=share', {
        ...credentials(alice),
        md5: md5Of('public'),
        filename: 'public.txt',
      });
      expect(share.body).toEqual({ code: 0 });
      const answer = await postJson(app, '/api/myfiles?cmd=normal', {
        ...credentials(alice),
        start: 0,
        count: 10,
      });
      expect(
        (answer.body.files as { file_name: string; share_status: number }[]).map((file) => [
          file.file_name,
          file.share_status,
        ]),
      ).toEqual([
        ['private.txt', 0],
        ['public.txt', 1],
      ]);
    });

    it('pages with start and count, and leaves files out of an empty page', async () => {
      for (const name of ['1.txt', '2.txt', '3.txt']) await upload(app, alice, name, name);
      const page = async (start: number, count: number) =>
        (await postJson(app, '/api/myfiles?cmd=normal', { ...credentials(alice), start, count })).body;
      expect(await page(0, 2)).toMatchObject({ code: 0, count: 2, total: 3 });
      expect(((await page(0, 2)).files as { file_name: string }[]).map((file) => file.file_name)).toEqual([
        '3.txt',
        '2.txt',
      ]);
      expect(((await page(2, 2)).files as { file_name: string }[]).map((file) => file.file_name)).toEqual([
        '1.txt',
      ]);
      expect(await page(3, 2)).toEqual({ code: 0, count: 0, total: 3 });
      expect(
        (await postJson(app, '/api/myfiles?cmd=normal', { ...credentials(bob), start: 0, count: 5 })).body,
      ).toEqual({ code: 0, count: 0, total: 0 });
    });

    it('orders by private downloads with pvasc and pvdesc, and counts each dealfile pv', async () => {
      for (const name of ['none.txt', 'once.txt', 'twice.txt']) await upload(app, alice, name, name);
      const pv = (name: string) =>
        postJson(app, '/api/dealfile?cmd=pv', { ...credentials(alice), md5: md5Of(name), filename: name });
      expect((await pv('twice.txt')).body).toEqual({ code: 0 });
      expect((await pv('twice.txt')).body).toEqual({ code: 0 });
      expect((await pv('once.txt')).body).toEqual({ code: 0 });
      const order = async (cmd: string) =>
        (
          (await postJson(app, `/api/myfiles?cmd=${cmd}`, { ...credentials(alice), start: 0, count: 10 }))
            .body.files as { file_name: string; pv: number }[]
        ).map((file) => [file.file_name, file.pv]);
      expect(await order('pvasc')).toEqual([
        ['none.txt', 0],
        ['once.txt', 1],
        ['twice.txt', 2],
      ]);
      expect(await order('pvdesc')).toEqual([
        ['twice.txt', 2],
        ['once.txt', 1],
        ['none.txt', 0],
      ]);
    });

    it('answers 1 for a bad start or count, an unknown cmd, or a failed token check', async () => {
      await upload(app, alice, 'a.txt', 'a');
      for (const [start, count] of [
        [-1, 10],
        [0, 0],
        [0, 1001],
        [1.5, 10],
        [0, 2.5],
        ['0', 10],
        [0, '10'],
        [undefined, 10],
        [0, undefined],
        [0, null],
      ]) {
        const answer = await postJson(app, '/api/myfiles?cmd=normal', {
          ...credentials(alice),
          start,
          count,
        });
        expect({ start, count, answer: answer.body }).toEqual({ start, count, answer: { code: 1 } });
      }
      expect(
        (await postJson(app, '/api/myfiles?cmd=pvasc', { ...credentials(alice), start: 0, count: 1000 }))
          .body,
      ).toMatchObject({ code: 0, count: 1 });
      for (const path of ['/api/myfiles', '/api/myfiles?cmd=delete', '/api/myfiles?cmd=__proto__']) {
        expect((await postJson(app, path, { ...credentials(alice), start: 0, count: 1 })).body).toEqual({
          code: 1,
        });
      }
      for (const cmd of ['count', 'normal', 'pvasc', 'pvdesc']) {
        for (const who of [
          { user: alice.userName },
          { token: md5('forged'), user: alice.userName },
          { token: alice.token, user: bob.userName },
        ]) {
          const answer = await postJson(app, `/api/myfiles?cmd=${cmd}`, { ...who, start: 0, count: 1 });
          expect({ cmd, who, answer: answer.body }).toEqual({ cmd, who, answer: { code: 1 } });
        }
      }
    });

    it('formats create_time in the configured TIME_ZONE', async () => {
      const shanghai = await startTestApp({ redis, env: { TIME_ZONE: 'Asia/Shanghai' } });
      try {
        const carol = await signUp(shanghai);
        await upload(shanghai, carol, 'tz.txt', 'tz');
        const answer = await postJson(shanghai, '/api/myfiles?cmd=normal', {
          ...credentials(carol),
          start: 0,
          count: 1,
        });
        const [row] = await shanghai.dataSource.query<{ t: string }[]>(
          `SELECT to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') AS t FROM nodes`,
        );
        expect((answer.body.files as { create_time: string }[])[0].create_time).toBe(row.t);
      } finally {
        await shanghai.close();
      }
    });
  });

  describe('/api/dealfile', () => {
    it('deletes one user’s file and keeps the bytes for the other, then removes them with the last', async () => {
      const bytes = randomBytes(20_000);
      await upload(app, alice, 'both.bin', bytes);
      await upload(app, bob, 'both.bin', bytes);
      expect(await blobRefCounts(app, md5Of(bytes))).toEqual([2]);
      const objects = (await storedObjects(app, 'blobs')).length;

      const del = (user: TestUser) =>
        postJson(app, '/api/dealfile?cmd=del', {
          ...credentials(user),
          md5: md5Of(bytes),
          filename: 'both.bin',
        });
      expect((await del(alice)).body).toEqual({ code: 0 });
      expect(await blobRefCounts(app, md5Of(bytes))).toEqual([1]);
      expect((await postJson(app, '/api/myfiles?cmd=count', credentials(alice))).body).toEqual({
        code: 0,
        total: 0,
      });
      expect((await del(alice)).body).toEqual({ code: 1 });

      expect((await del(bob)).body).toEqual({ code: 0 });
      expect(await blobRefCounts(app, md5Of(bytes))).toEqual([]);
      await eventually(async () => expect(await storedObjects(app, 'blobs')).toHaveLength(objects - 1));
    });

    it('answers 1 for someone else’s file, an unknown file, bad input or an unknown cmd', async () => {
      await upload(app, alice, 'hers.txt', 'hers');
      const file = { md5: md5Of('hers'), filename: 'hers.txt' };
      for (const cmd of ['del', 'pv']) {
        for (const body of [
          { ...credentials(bob), ...file },
          { ...credentials(alice), ...file, filename: 'other.txt' },
          { ...credentials(alice), ...file, md5: md5('other') },
          { ...credentials(alice), ...file, md5: 'nothex' },
          { ...credentials(alice), filename: file.filename },
          { ...credentials(alice), md5: file.md5 },
        ]) {
          const answer = await postJson(app, `/api/dealfile?cmd=${cmd}`, body);
          expect({ cmd, body, answer: answer.body }).toEqual({ cmd, body, answer: { code: 1 } });
        }
      }
      for (const path of ['/api/dealfile', '/api/dealfile?cmd=rename', '/api/dealfile?cmd=constructor']) {
        expect((await postJson(app, path, { ...credentials(alice), ...file })).body).toEqual({ code: 1 });
      }
      const listed = await postJson(app, '/api/myfiles?cmd=normal', {
        ...credentials(alice),
        start: 0,
        count: 1,
      });
      expect(listed.body.files).toEqual([expect.objectContaining({ file_name: 'hers.txt', pv: 0 })]);
    });

    it('answers 4 without a valid token, or for another user than the token’s', async () => {
      await upload(app, alice, 'kept.txt', 'kept');
      const file = { md5: md5Of('kept'), filename: 'kept.txt' };
      for (const cmd of ['del', 'pv']) {
        for (const who of [
          { user: alice.userName },
          { token: md5('forged'), user: alice.userName },
          { token: bob.token, user: alice.userName },
        ]) {
          const answer = await postJson(app, `/api/dealfile?cmd=${cmd}`, { ...who, ...file });
          expect({ cmd, who, answer: answer.body }).toEqual({ cmd, who, answer: { code: 4 } });
        }
      }
      const listed = await postJson(app, '/api/myfiles?cmd=normal', {
        ...credentials(alice),
        start: 0,
        count: 1,
      });
      expect(listed.body.files).toEqual([expect.objectContaining({ file_name: 'kept.txt', pv: 0 })]);
    });
  });
});
