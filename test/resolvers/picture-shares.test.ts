import { signUp } from '../helpers/accounts';
import { uploadFile } from '../helpers/files';
import { graphql } from '../helpers/http';
import { tinyPng } from '../helpers/images';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { withNodeDeletedMidway } from '../helpers/wait';

const PICTURE_FIELDS = `key name md5 size pv createdAt sharer url fileDeleted`;
const SHARE_PICTURE = `mutation ($id: ID!) { sharePicture(id: $id) { ${PICTURE_FIELDS} } }`;
const PICTURE_SHARE = `query ($key: String!) { pictureShare(key: $key) { ${PICTURE_FIELDS} } }`;
const VIEW = `mutation ($key: String!) { viewPictureShare(key: $key) { ${PICTURE_FIELDS} } }`;
const CANCEL = `mutation ($key: String!) { cancelPictureShare(key: $key) }`;
const MINE = `query ($offset: Int, $limit: Int) {
  myPictureShares(offset: $offset, limit: $limit) { totalCount pictureShares { ${PICTURE_FIELDS} } }
}`;
const DELETE = `mutation ($id: ID!) { deleteNode(id: $id) }`;

interface PictureShareData {
  key: string;
  name: string | null;
  md5: string | null;
  size: number | null;
  pv: number;
  createdAt: string;
  sharer: string;
  url: string | null;
  fileDeleted: boolean;
}

const codeOf = (answer: { errors?: { extensions?: { code?: string } }[] }) =>
  answer.errors?.[0].extensions?.code;
const ILL_FORMED_KEYS = ['', 'abc', 'A'.repeat(32), 'g'.repeat(32), `${'0'.repeat(31)}'`, '0'.repeat(33)];

describe.each([
  ['with Redis', true],
  ['without Redis', false],
])('picture shares %s', (_label, redis) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ redis });
  });
  afterAll(() => app.close());

  async function sharePicture(token: string, id: string): Promise<PictureShareData> {
    const answer = await graphql<{ sharePicture: PictureShareData }>(app, SHARE_PICTURE, { id }, token);
    if (!answer.data?.sharePicture) throw new Error(JSON.stringify(answer.errors));
    return answer.data.sharePicture;
  }

  it('shares a picture under a random key, and answers the same key when shared again', async () => {
    const alice = await signUp(app);
    const png = tinyPng(3, 2);
    const file = await uploadFile(app, alice.token, 'cat.png', png);

    const shared = await sharePicture(alice.token, file.id);
    expect(shared).toMatchObject({
      name: 'cat.png',
      md5: file.md5,
      size: png.length,
      pv: 0,
      sharer: alice.userName,
      fileDeleted: false,
    });
    expect(shared.key).toMatch(/^[0-9a-f]{32}$/);
    expect(shared.url).toBe(`${app.url}/p/${shared.key}`);
    expect(await sharePicture(alice.token, file.id)).toEqual(shared);

    const other = await uploadFile(app, alice.token, 'dog.png', tinyPng(2, 2));
    expect((await sharePicture(alice.token, other.id)).key).not.toBe(shared.key);
  });

  it('counts one view per viewPictureShare, and none for pictureShare', async () => {
    const alice = await signUp(app);
    const file = await uploadFile(app, alice.token, 'viewed.png', tinyPng(4, 4));
    const { key } = await sharePicture(alice.token, file.id);

    const first = await graphql<{ viewPictureShare: PictureShareData }>(app, VIEW, { key });
    expect(first.data?.viewPictureShare).toMatchObject({ key, pv: 1, sharer: alice.userName });
    const second = await graphql<{ viewPictureShare: PictureShareData }>(app, VIEW, { key });
    expect(second.data?.viewPictureShare.pv).toBe(2);

    const read = await graphql<{ pictureShare: PictureShareData }>(app, PICTURE_SHARE, { key });
    expect(read.data?.pictureShare.pv).toBe(2);
    expect(
      (await graphql<{ pictureShare: PictureShareData }>(app, PICTURE_SHARE, { key })).data?.pictureShare.pv,
    ).toBe(2);
  });

  it('lists only the caller’s picture shares, newest first, and only with a session', async () => {
    const alice = await signUp(app);
    const bob = await signUp(app);
    const first = await sharePicture(
      alice.token,
      (await uploadFile(app, alice.token, 'a.png', tinyPng(1, 1))).id,
    );
    const second = await sharePicture(
      alice.token,
      (await uploadFile(app, alice.token, 'b.png', tinyPng(1, 2))).id,
    );
    await sharePicture(bob.token, (await uploadFile(app, bob.token, 'c.png', tinyPng(2, 1))).id);

    const mine = await graphql<{
      myPictureShares: { totalCount: number; pictureShares: PictureShareData[] };
    }>(app, MINE, {}, alice.token);
    expect(mine.data?.myPictureShares.totalCount).toBe(2);
    expect(mine.data?.myPictureShares.pictureShares.map((share) => share.key)).toEqual([
      second.key,
      first.key,
    ]);
    const page = await graphql<{ myPictureShares: { pictureShares: PictureShareData[] } }>(
      app,
      MINE,
      { offset: 1, limit: 1 },
      alice.token,
    );
    expect(page.data?.myPictureShares.pictureShares.map((share) => share.key)).toEqual([first.key]);
    expect(codeOf(await graphql(app, MINE, {}))).toBe('UNAUTHENTICATED');
    expect(codeOf(await graphql(app, MINE, { limit: 1001 }, alice.token))).toBe('BAD_USER_INPUT');
  });

  it('refuses to share someone else’s file', async () => {
    const alice = await signUp(app);
    const mallory = await signUp(app);
    const file = await uploadFile(app, alice.token, 'mine.png', tinyPng(2, 3));
    expect(codeOf(await graphql(app, SHARE_PICTURE, { id: file.id }, mallory.token))).toBe('NOT_FOUND');
    expect(codeOf(await graphql(app, SHARE_PICTURE, { id: file.id }))).toBe('UNAUTHENTICATED');
  });

  it('answers NOT_FOUND, not INTERNAL, when the file is deleted while it is being shared', async () => {
    const alice = await signUp(app);
    const file = await uploadFile(app, alice.token, 'doomed.png', tinyPng(3, 3));
    const answer = await withNodeDeletedMidway(app.dataSource, [file.id], () =>
      graphql(app, SHARE_PICTURE, { id: file.id }, alice.token),
    );
    expect(codeOf(answer)).toBe('NOT_FOUND');
    const kept = await app.dataSource.query('SELECT 1 FROM picture_shares WHERE md5 = $1 AND name = $2', [
      file.md5,
      'doomed.png',
    ]);
    expect(kept).toEqual([]);
  });

  it('cancels only the caller’s own key', async () => {
    const alice = await signUp(app);
    const mallory = await signUp(app);
    const file = await uploadFile(app, alice.token, 'cancel.png', tinyPng(5, 1));
    const { key } = await sharePicture(alice.token, file.id);

    expect(codeOf(await graphql(app, CANCEL, { key }, mallory.token))).toBe('NOT_FOUND');
    expect(codeOf(await graphql(app, CANCEL, { key }))).toBe('UNAUTHENTICATED');
    expect((await graphql(app, CANCEL, { key }, alice.token)).data).toEqual({ cancelPictureShare: true });
    expect(codeOf(await graphql(app, CANCEL, { key }, alice.token))).toBe('NOT_FOUND');
    expect(codeOf(await graphql(app, PICTURE_SHARE, { key }))).toBe('NOT_FOUND');
    expect(codeOf(await graphql(app, VIEW, { key }))).toBe('NOT_FOUND');
  });

  it('answers NOT_FOUND for unknown keys and keys of the wrong shape', async () => {
    const alice = await signUp(app);
    for (const key of ['0'.repeat(32), ...ILL_FORMED_KEYS]) {
      expect(codeOf(await graphql(app, PICTURE_SHARE, { key }))).toBe('NOT_FOUND');
      expect(codeOf(await graphql(app, VIEW, { key }))).toBe('NOT_FOUND');
      expect(codeOf(await graphql(app, CANCEL, { key }, alice.token))).toBe('NOT_FOUND');
    }
  });

  it('keeps the share of a deleted file: GONE when viewed, shown as deleted, without a URL', async () => {
    const alice = await signUp(app);
    const png = tinyPng(6, 6);
    const file = await uploadFile(app, alice.token, 'doomed.png', png);
    const { key } = await sharePicture(alice.token, file.id);
    await graphql(app, VIEW, { key });

    await graphql(app, DELETE, { id: file.id }, alice.token);

    expect(codeOf(await graphql(app, VIEW, { key }))).toBe('GONE');
    const read = await graphql<{ pictureShare: PictureShareData }>(app, PICTURE_SHARE, { key });
    expect(read.data?.pictureShare).toMatchObject({
      key,
      name: 'doomed.png',
      md5: file.md5,
      size: png.length,
      pv: 1,
      url: null,
      fileDeleted: true,
    });
    const mine = await graphql<{ myPictureShares: { pictureShares: PictureShareData[] } }>(
      app,
      MINE,
      {},
      alice.token,
    );
    expect(mine.data?.myPictureShares.pictureShares).toEqual([read.data?.pictureShare]);
    expect((await graphql(app, CANCEL, { key }, alice.token)).data).toEqual({ cancelPictureShare: true });
  });
});
