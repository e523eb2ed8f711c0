import { fromGlobalId, IdType, toGlobalId } from '../../src/schema/global-id';
import { signUp } from '../helpers/accounts';
import { deleteItem, uploadFile } from '../helpers/files';
import { graphql, type GraphQLResponse } from '../helpers/http';
import { tinyPng } from '../helpers/images';
import { STORAGE_AND_REDIS } from '../helpers/s3';
import { startTestApp, type TestApp } from '../helpers/test-app';
import type { UserError } from '../helpers/uploads';
import { withNodeDeletedMidway } from '../helpers/wait';

const USER_ERRORS = `userErrors { code field message }`;
const PICTURE_FIELDS = `id key name md5 size viewCount createdAt sharer url pageUrl fileDeleted`;
const SHARE_PICTURE = `mutation ($id: ID!) {
  sharePicture(input: { fileId: $id }) { pictureShare { ${PICTURE_FIELDS} } ${USER_ERRORS} }
}`;
const PICTURE_SHARE = `query ($key: String!) { pictureShare(key: $key) { ${PICTURE_FIELDS} } }`;
const PICTURE_SHARE_FILE = `query ($key: String!) { pictureShare(key: $key) { file { id name } } }`;
const VIEW = `mutation ($key: String!) {
  viewPictureShare(input: { key: $key }) { pictureShare { ${PICTURE_FIELDS} } counted ${USER_ERRORS} }
}`;
const CANCEL = `mutation ($id: ID!) { cancelPictureShare(input: { id: $id }) { deletedIds ${USER_ERRORS} } }`;
const MINE = `query ($first: Int, $after: String) {
  myPictureShares(first: $first, after: $after) {
    totalCount
    nodes { ${PICTURE_FIELDS} }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

interface PictureShareData {
  id: string;
  key: string;
  name: string;
  md5: string;
  size: number;
  viewCount: number;
  createdAt: string;
  sharer: string;
  url: string | null;
  pageUrl: string;
  fileDeleted: boolean;
}

interface PictureSharePage {
  totalCount: number;
  nodes: PictureShareData[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

const NO_PICTURE_SHARE = toGlobalId(IdType.PICTURE_SHARE, '00000000-0000-0000-0000-000000000000');
const ILL_FORMED_KEYS = ['', 'abc', 'A'.repeat(32), 'g'.repeat(32), `${'0'.repeat(31)}'`, '0'.repeat(33)];

/** The row id behind a global id, for looking at the database. */
function localId(id: string): string {
  const decoded = fromGlobalId(id);
  if (!decoded) throw new Error(`${id} is not a global id`);
  return decoded.localId;
}

/** The code of a top-level error (signing in, validation of a query's arguments). */
const topLevelCode = (answer: GraphQLResponse<object>) => answer.errors?.[0].extensions?.code;

/**
 * Asserts that a mutation answered one user error of `code` about `field`, no top-level error, and a
 * payload without any object in it.
 */
function expectUserError(
  answer: GraphQLResponse<object>,
  mutation: string,
  code: string,
  field: string[] | null,
): void {
  expect(answer.errors).toBeUndefined();
  const payload = (answer.data as Record<string, Record<string, unknown>> | null | undefined)?.[mutation];
  expect(payload?.userErrors).toEqual([{ code, field, message: expect.any(String) as string }]);
  for (const [key, value] of Object.entries(payload ?? {})) {
    if (key === 'userErrors') continue;
    expect([key, value]).toEqual([
      key,
      Array.isArray(value) ? [] : typeof value === 'boolean' ? false : null,
    ]);
  }
}

describe.each(STORAGE_AND_REDIS)('picture shares %s', (_label, variant) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(variant);
  });
  afterAll(() => app.close());

  async function sharePicture(token: string, id: string): Promise<PictureShareData> {
    const answer = await graphql<{
      sharePicture: { pictureShare: PictureShareData | null; userErrors: UserError[] };
    }>(app, SHARE_PICTURE, { id }, token);
    if (!answer.data?.sharePicture.pictureShare)
      throw new Error(JSON.stringify(answer.errors ?? answer.data));
    expect(answer.data.sharePicture.userErrors).toEqual([]);
    return answer.data.sharePicture.pictureShare;
  }

  async function pictureShare(key: string): Promise<PictureShareData | null | undefined> {
    const answer = await graphql<{ pictureShare: PictureShareData | null }>(app, PICTURE_SHARE, { key });
    expect(answer.errors).toBeUndefined();
    return answer.data?.pictureShare;
  }

  it('shares a picture under a random key, and answers the same key when shared again', async () => {
    const alice = await signUp(app);
    const bob = await signUp(app);
    const png = tinyPng(3, 2);
    const file = await uploadFile(app, alice.token, 'cat.png', png);

    const shared = await sharePicture(alice.token, file.id);
    expect(shared).toMatchObject({
      name: 'cat.png',
      md5: file.md5,
      size: png.length,
      viewCount: 0,
      sharer: alice.userName,
      fileDeleted: false,
    });
    expect(fromGlobalId(shared.id)?.type).toBe(IdType.PICTURE_SHARE);
    expect(shared.key).toMatch(/^[0-9a-f]{32}$/);
    expect(shared.url).toBe(`${app.url}/p/${shared.key}`);
    expect(shared.pageUrl).toBe(`${app.url}/share?urlmd5=${shared.key}`);
    expect(await sharePicture(alice.token, file.id)).toEqual(shared);

    // The shared file itself is the sharer's to see, and no one else's.
    const asSharer = await graphql(app, PICTURE_SHARE_FILE, { key: shared.key }, alice.token);
    expect(asSharer.data).toEqual({ pictureShare: { file: { id: file.id, name: 'cat.png' } } });
    const asOther = await graphql(app, PICTURE_SHARE_FILE, { key: shared.key }, bob.token);
    expect(asOther.data).toEqual({ pictureShare: { file: null } });

    const other = await uploadFile(app, alice.token, 'dog.png', tinyPng(2, 2));
    const otherShare = await sharePicture(alice.token, other.id);
    expect(otherShare.key).not.toBe(shared.key);
    expect(otherShare.id).not.toBe(shared.id);
  });

  it('counts one view per viewPictureShare, and none for pictureShare', async () => {
    const alice = await signUp(app);
    const file = await uploadFile(app, alice.token, 'viewed.png', tinyPng(4, 4));
    const { key } = await sharePicture(alice.token, file.id);

    const first = await graphql<{ viewPictureShare: { pictureShare: PictureShareData; counted: boolean } }>(
      app,
      VIEW,
      { key },
    );
    expect(first.errors).toBeUndefined();
    expect(first.data?.viewPictureShare).toMatchObject({
      pictureShare: { key, viewCount: 1, sharer: alice.userName },
      counted: true,
      userErrors: [],
    });
    const second = await graphql<{ viewPictureShare: { pictureShare: PictureShareData; counted: boolean } }>(
      app,
      VIEW,
      { key },
    );
    expect(second.data?.viewPictureShare.pictureShare.viewCount).toBe(2);
    expect(second.data?.viewPictureShare.counted).toBe(true);

    expect((await pictureShare(key))?.viewCount).toBe(2);
    expect((await pictureShare(key))?.viewCount).toBe(2);
  });

  it('lists only the caller’s picture shares, newest first, a page at a time, and only with a session', async () => {
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

    const mine = await graphql<{ myPictureShares: PictureSharePage }>(app, MINE, {}, alice.token);
    expect(mine.errors).toBeUndefined();
    expect(mine.data?.myPictureShares.totalCount).toBe(2);
    expect(mine.data?.myPictureShares.nodes.map((share) => share.key)).toEqual([second.key, first.key]);
    expect(mine.data?.myPictureShares.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });

    // The page of one after the first, as `offset: 1, limit: 1` once gave it.
    const top = await graphql<{ myPictureShares: PictureSharePage }>(app, MINE, { first: 1 }, alice.token);
    expect(top.data?.myPictureShares.nodes.map((share) => share.key)).toEqual([second.key]);
    expect(top.data?.myPictureShares.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const page = await graphql<{ myPictureShares: PictureSharePage }>(
      app,
      MINE,
      { first: 1, after: top.data!.myPictureShares.pageInfo.endCursor },
      alice.token,
    );
    expect(page.data?.myPictureShares.nodes.map((share) => share.key)).toEqual([first.key]);
    expect(page.data?.myPictureShares.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(page.data?.myPictureShares.totalCount).toBe(2);

    expect(topLevelCode(await graphql(app, MINE, {}))).toBe('UNAUTHENTICATED');
    for (const variables of [{ first: 101 }, { first: -1 }, { after: 'not a cursor' }]) {
      expect([variables, topLevelCode(await graphql(app, MINE, variables, alice.token))]).toEqual([
        variables,
        'BAD_USER_INPUT',
      ]);
    }
  });

  it('refuses to share someone else’s file, an id that is no file’s, or anything without a session', async () => {
    const alice = await signUp(app);
    const mallory = await signUp(app);
    const file = await uploadFile(app, alice.token, 'mine.png', tinyPng(2, 3));
    expectUserError(
      await graphql(app, SHARE_PICTURE, { id: file.id }, mallory.token),
      'sharePicture',
      'NOT_FOUND',
      ['input', 'fileId'],
    );
    expect(topLevelCode(await graphql(app, SHARE_PICTURE, { id: file.id }))).toBe('UNAUTHENTICATED');
    for (const id of [localId(file.id), 'nope', toGlobalId(IdType.PICTURE_SHARE, localId(file.id))]) {
      expectUserError(
        await graphql(app, SHARE_PICTURE, { id }, alice.token),
        'sharePicture',
        'BAD_USER_INPUT',
        ['input', 'fileId'],
      );
    }
  });

  it('answers NOT_FOUND, not INTERNAL, when the file is deleted while it is being shared', async () => {
    const alice = await signUp(app);
    const file = await uploadFile(app, alice.token, 'doomed.png', tinyPng(3, 3));
    const answer = await withNodeDeletedMidway(app.dataSource, [localId(file.id)], () =>
      graphql(app, SHARE_PICTURE, { id: file.id }, alice.token),
    );
    expectUserError(answer, 'sharePicture', 'NOT_FOUND', ['input', 'fileId']);
    const kept = await app.dataSource.query('SELECT 1 FROM picture_shares WHERE md5 = $1 AND name = $2', [
      file.md5,
      'doomed.png',
    ]);
    expect(kept).toEqual([]);
  });

  it('cancels only the caller’s own picture share, by its id', async () => {
    const alice = await signUp(app);
    const mallory = await signUp(app);
    const file = await uploadFile(app, alice.token, 'cancel.png', tinyPng(5, 1));
    const { id, key } = await sharePicture(alice.token, file.id);

    expectUserError(await graphql(app, CANCEL, { id }, mallory.token), 'cancelPictureShare', 'NOT_FOUND', [
      'input',
      'id',
    ]);
    expect(topLevelCode(await graphql(app, CANCEL, { id }))).toBe('UNAUTHENTICATED');
    expect((await pictureShare(key))?.id).toBe(id);
    const cancelled = await graphql(app, CANCEL, { id }, alice.token);
    expect(cancelled.errors).toBeUndefined();
    expect(cancelled.data).toEqual({ cancelPictureShare: { deletedIds: [id], userErrors: [] } });
    expectUserError(await graphql(app, CANCEL, { id }, alice.token), 'cancelPictureShare', 'NOT_FOUND', [
      'input',
      'id',
    ]);
    expect(await pictureShare(key)).toBeNull();
    expectUserError(await graphql(app, VIEW, { key }), 'viewPictureShare', 'NOT_FOUND', ['input', 'key']);
  });

  it('finds nothing for unknown keys and keys of the wrong shape, nor for ids that are no picture share’s', async () => {
    const alice = await signUp(app);
    for (const key of ['0'.repeat(32), ...ILL_FORMED_KEYS]) {
      expect([key, await pictureShare(key)]).toEqual([key, null]);
      expectUserError(await graphql(app, VIEW, { key }), 'viewPictureShare', 'NOT_FOUND', ['input', 'key']);
    }
    expectUserError(
      await graphql(app, CANCEL, { id: NO_PICTURE_SHARE }, alice.token),
      'cancelPictureShare',
      'NOT_FOUND',
      ['input', 'id'],
    );
    const file = await uploadFile(app, alice.token, 'not-shared.png', tinyPng(1, 4));
    for (const id of [file.id, '0'.repeat(32), '00000000-0000-0000-0000-000000000000', ...ILL_FORMED_KEYS]) {
      expectUserError(
        await graphql(app, CANCEL, { id }, alice.token),
        'cancelPictureShare',
        'BAD_USER_INPUT',
        ['input', 'id'],
      );
    }
  });

  it('keeps the share of a deleted file: GONE when viewed, shown as deleted, without a URL', async () => {
    const alice = await signUp(app);
    const png = tinyPng(6, 6);
    const file = await uploadFile(app, alice.token, 'doomed.png', png);
    const { id, key } = await sharePicture(alice.token, file.id);
    await graphql(app, VIEW, { key });

    await deleteItem(app, alice.token, file.id);

    expectUserError(await graphql(app, VIEW, { key }), 'viewPictureShare', 'GONE', ['input', 'key']);
    const read = await pictureShare(key);
    expect(read).toMatchObject({
      id,
      key,
      name: 'doomed.png',
      md5: file.md5,
      size: png.length,
      viewCount: 1,
      url: null,
      pageUrl: `${app.url}/share?urlmd5=${key}`,
      fileDeleted: true,
    });
    expect((await graphql(app, PICTURE_SHARE_FILE, { key }, alice.token)).data).toEqual({
      pictureShare: { file: null },
    });
    const mine = await graphql<{ myPictureShares: PictureSharePage }>(app, MINE, {}, alice.token);
    expect(mine.data?.myPictureShares.nodes).toEqual([read]);
    const cancelled = await graphql(app, CANCEL, { id }, alice.token);
    expect(cancelled.data).toEqual({ cancelPictureShare: { deletedIds: [id], userErrors: [] } });
  });
});
