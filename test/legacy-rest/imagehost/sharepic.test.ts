import { signUp, type TestUser } from '../../helpers/accounts';
import { deleteItem, uploadFile } from '../../helpers/files';
import { postJson } from '../../helpers/http';
import { tinyPng } from '../../helpers/images';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import type { UploadedFile } from '../../helpers/uploads';

const LEGACY_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const KEY = /^[0-9a-f]{32}$/;

describe('spec 001 §17 /api/sharepic', () => {
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    app = await startTestApp();
    [alice, bob] = await Promise.all([signUp(app), signUp(app)]);
  });
  afterAll(() => app.close());

  const sharepic = async (cmd: string, body: unknown) =>
    (await postJson(app, `/api/sharepic?cmd=${cmd}`, body)).body;
  const owner = (user: TestUser) => ({ token: user.token, user: user.userName });
  const sharePicture = (user: TestUser, file: UploadedFile) =>
    sharepic('share', { ...owner(user), md5: file.md5, filename: file.name });
  const pictureShareCount = async () =>
    (await app.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM picture_shares`))[0].n;
  const views = async (key: string) =>
    (await app.dataSource.query<{ pv: number }[]>(`SELECT pv FROM picture_shares WHERE key = $1`, [key]))[0]
      ?.pv;

  describe('share', () => {
    it('answers 0 with a 32-hex urlmd5, and the same key when the picture is shared again', async () => {
      const picture = await uploadFile(app, alice.token, 'sunset.png', tinyPng(4, 3));
      const first = await sharePicture(alice, picture);
      expect(first).toEqual({ code: 0, urlmd5: expect.stringMatching(KEY) });
      expect(await sharePicture(alice, picture)).toEqual(first);
    });

    it('answers 1 for someone else’s file and shares nothing', async () => {
      const bobs = await uploadFile(app, bob.token, 'bobs.png', tinyPng(2, 2, [0, 0, 255]));
      const before = await pictureShareCount();
      expect(await sharePicture(alice, bobs)).toEqual({ code: 1 });
      expect(await pictureShareCount()).toBe(before);
    });

    it('answers 4 without a token or with another user’s, and shares nothing', async () => {
      const picture = await uploadFile(app, alice.token, 'guarded.png', tinyPng(3, 3, [0, 200, 0]));
      const before = await pictureShareCount();
      const target = { md5: picture.md5, filename: picture.name };
      expect(await sharepic('share', { user: alice.userName, ...target })).toEqual({ code: 4 });
      expect(await sharepic('share', { token: bob.token, user: alice.userName, ...target })).toEqual({
        code: 4,
      });
      expect(await pictureShareCount()).toBe(before);
    });
  });

  describe('browse', () => {
    it('counts one view per call and answers the picture URL, the sharer, the views and the time', async () => {
      const bytes = tinyPng(4, 3);
      const picture = await uploadFile(app, alice.token, 'browse-me.png', bytes);
      const { urlmd5 } = (await sharePicture(alice, picture)) as { urlmd5: string };

      const first = await sharepic('browse', { urlmd5 });
      expect(first).toEqual({
        code: 0,
        url: `${app.url}/p/${urlmd5}`,
        user: alice.userName,
        pv: 1,
        time: expect.stringMatching(LEGACY_TIME),
      });
      expect(Object.keys(first)).toEqual(['code', 'url', 'user', 'pv', 'time']);
      expect(await sharepic('browse', { urlmd5 })).toMatchObject({ code: 0, pv: 2 });
      expect(await views(urlmd5)).toBe(2);

      const image = await fetch(first.url as string);
      expect(image.status).toBe(200);
      expect(Buffer.from(await image.arrayBuffer())).toEqual(bytes);
    });

    it('needs no token', async () => {
      const picture = await uploadFile(app, alice.token, 'public.png', tinyPng(1, 1));
      const { urlmd5 } = (await sharePicture(alice, picture)) as { urlmd5: string };
      const answer = await fetch(`${app.url}/api/sharepic?cmd=browse`, {
        method: 'POST',
        body: JSON.stringify({ urlmd5 }),
      });
      expect(await answer.json()).toMatchObject({ code: 0, pv: 1 });
    });

    it('answers 1 to an unknown, ill-formed or missing urlmd5', async () => {
      for (const body of [{ urlmd5: '0'.repeat(32) }, { urlmd5: 'not-a-key' }, { urlmd5: 7 }, {}]) {
        expect({ body, answer: await sharepic('browse', body) }).toEqual({ body, answer: { code: 1 } });
      }
    });

    it('answers 2 once the file was deleted', async () => {
      const picture = await uploadFile(app, alice.token, 'doomed.png', tinyPng(2, 1));
      const { urlmd5 } = (await sharePicture(alice, picture)) as { urlmd5: string };
      await deleteItem(app, alice.token, picture.id);
      expect(await sharepic('browse', { urlmd5 })).toEqual({ code: 2 });
    });
  });

  describe('normal', () => {
    let carol: TestUser;
    const keys: string[] = [];
    const pictures: UploadedFile[] = [];

    beforeAll(async () => {
      carol = await signUp(app);
      for (const [name, width] of [
        ['first.png', 5],
        ['second.png', 6],
      ] as const) {
        const picture = await uploadFile(app, carol.token, name, tinyPng(width, 2));
        pictures.push(picture);
        keys.push(((await sharePicture(carol, picture)) as { urlmd5: string }).urlmd5);
      }
      await sharepic('browse', { urlmd5: keys[0] });
    });

    it('lists the caller’s picture shares newest first with exactly the documented fields', async () => {
      const answer = await sharepic('normal', { ...owner(carol), start: 0, count: 10 });
      const entry = (index: number, pv: number) => ({
        user: carol.userName,
        filemd5: pictures[index].md5,
        file_name: pictures[index].name,
        urlmd5: keys[index],
        pv,
        create_time: expect.stringMatching(LEGACY_TIME),
        size: pictures[index].size,
      });
      expect(answer).toEqual({ code: 0, count: 2, total: 2, files: [entry(1, 0), entry(0, 1)] });
      expect(Object.keys((answer.files as object[])[0])).toEqual([
        'user',
        'filemd5',
        'file_name',
        'urlmd5',
        'pv',
        'create_time',
        'size',
      ]);
    });

    it('pages, and leaves files out of an empty page', async () => {
      expect(await sharepic('normal', { ...owner(carol), start: 1, count: 1 })).toMatchObject({
        code: 0,
        count: 1,
        total: 2,
        files: [{ urlmd5: keys[0] }],
      });
      expect(await sharepic('normal', { ...owner(carol), start: 2, count: 1 })).toEqual({
        code: 0,
        count: 0,
        total: 2,
      });
    });

    it('answers 1 when start or count is out of range', async () => {
      for (const page of [{}, { start: -1, count: 1 }, { start: 0, count: 0 }, { start: 0, count: 1001 }]) {
        expect(await sharepic('normal', { ...owner(carol), ...page })).toEqual({ code: 1 });
      }
    });

    it('answers 4 without a token or with another user’s', async () => {
      expect(await sharepic('normal', { user: carol.userName, start: 0, count: 10 })).toEqual({ code: 4 });
      expect(
        await sharepic('normal', { token: bob.token, user: carol.userName, start: 0, count: 10 }),
      ).toEqual({ code: 4 });
    });
  });

  describe('cancel', () => {
    it('ends the caller’s picture share: browse then answers 1, and a second cancel 1', async () => {
      const picture = await uploadFile(app, alice.token, 'cancel-me.png', tinyPng(3, 2));
      const { urlmd5 } = (await sharePicture(alice, picture)) as { urlmd5: string };
      expect(await sharepic('cancel', { ...owner(alice), urlmd5 })).toEqual({ code: 0 });
      expect(await sharepic('browse', { urlmd5 })).toEqual({ code: 1 });
      expect(await sharepic('cancel', { ...owner(alice), urlmd5 })).toEqual({ code: 1 });
    });

    it('answers 1 for someone else’s key and leaves it shared', async () => {
      const picture = await uploadFile(app, alice.token, 'stays.png', tinyPng(3, 1));
      const { urlmd5 } = (await sharePicture(alice, picture)) as { urlmd5: string };
      expect(await sharepic('cancel', { ...owner(bob), urlmd5 })).toEqual({ code: 1 });
      expect(await views(urlmd5)).toBe(0);
    });

    it('answers 4 without a token or with another user’s, and cancels nothing', async () => {
      const picture = await uploadFile(app, alice.token, 'kept.png', tinyPng(1, 3));
      const { urlmd5 } = (await sharePicture(alice, picture)) as { urlmd5: string };
      expect(await sharepic('cancel', { user: alice.userName, urlmd5 })).toEqual({ code: 4 });
      expect(await sharepic('cancel', { token: bob.token, user: alice.userName, urlmd5 })).toEqual({
        code: 4,
      });
      expect(await views(urlmd5)).toBe(0);
    });
  });

  it('answers 1 to an unknown or missing cmd', async () => {
    expect(await sharepic('nope', { urlmd5: '0'.repeat(32) })).toEqual({ code: 1 });
    expect((await postJson(app, '/api/sharepic', {})).body).toEqual({ code: 1 });
  });
});
