import { signUp, type TestUser } from '../helpers/accounts';
import { deleteItem, uploadFile } from '../helpers/files';
import { graphql, type GraphQLResponse } from '../helpers/http';
import { tinyPng } from '../helpers/images';
import { startTestApp, type TestApp } from '../helpers/test-app';

interface Page {
  totalCount?: number;
  edges: { cursor: string; node: { id: string; name: string } }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

const FILES = `query ($first: Int, $after: String, $last: Int, $before: String, $orderBy: DriveItemOrder, $filter: FileFilter, $folder: String, $recursive: Boolean) {
  files(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, filter: $filter, folder: $folder, recursive: $recursive) {
    totalCount
    edges { cursor node { id name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

const SHARE_FILE = `mutation ($id: ID!) { shareFile(input: { fileId: $id }) { share { id } } }`;
const RECORD_DOWNLOAD = `mutation ($id: ID!) { recordFileDownload(input: { id: $id }) { counted } }`;

const codeOf = (answer: GraphQLResponse<unknown>) => answer.errors?.[0]?.extensions?.code;

describe('cursor connections', () => {
  let app: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    alice = await signUp(app);
  });

  const page = async (variables: Record<string, unknown>) => {
    const answer = await graphql<{ files: Page }>(app, FILES, variables, alice.token);
    expect(answer.errors).toBeUndefined();
    return answer.data!.files;
  };
  const names = (connection: Page) => connection.edges.map((edge) => edge.node.name);

  /** Uploads files one after another, so that each is newer than the one before. */
  async function uploadInOrder(...files: [string, string][]) {
    const uploaded = [];
    for (const [name, content] of files) uploaded.push(await uploadFile(app, alice.token, name, content));
    return uploaded;
  }

  /** Every name of the list, read page by page forwards. */
  async function readForwards(variables: Record<string, unknown>, size: number): Promise<string[]> {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const current = await page({ ...variables, first: size, after });
      seen.push(...names(current));
      if (!current.pageInfo.hasNextPage) return seen;
      after = current.pageInfo.endCursor;
    }
  }

  it('shows no item twice when one is added while scrolling, newest first', async () => {
    await uploadInOrder(['img1', '1'], ['img2', '2'], ['img3', '3']);
    const first = await page({ first: 2 });
    expect(names(first)).toEqual(['img3', 'img2']);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    await uploadInOrder(['img4', '4']);
    const second = await page({ first: 2, after: first.pageInfo.endCursor });
    expect(names(second)).toEqual(['img1']);
    expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(second.totalCount).toBe(4);
  });

  it('skips nothing when an item of the page already read is deleted meanwhile', async () => {
    const [, two] = await uploadInOrder(['a', '1'], ['b', '2'], ['c', '3'], ['d', '4']);
    const first = await page({ first: 2, orderBy: { field: 'NAME', direction: 'ASC' } });
    expect(names(first)).toEqual(['a', 'b']);
    await deleteItem(app, alice.token, two.id);
    const second = await page({
      first: 2,
      after: first.pageInfo.endCursor,
      orderBy: { field: 'NAME', direction: 'ASC' },
    });
    expect(names(second)).toEqual(['c', 'd']);
  });

  it('pages backwards with last and before to the same order', async () => {
    await uploadInOrder(['p1', '1'], ['p2', '2'], ['p3', '3'], ['p4', '4'], ['p5', '5']);
    const end = await page({ last: 2 });
    expect(names(end)).toEqual(['p2', 'p1']);
    expect(end.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const before = await page({ last: 2, before: end.pageInfo.startCursor });
    expect(names(before)).toEqual(['p4', 'p3']);
    const start = await page({ last: 2, before: before.pageInfo.startCursor });
    expect(names(start)).toEqual(['p5']);
    expect(start.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
  });

  it('orders by every field both ways, ties by id, exactly as SQL does, across pages', async () => {
    const files = await uploadInOrder(
      ['b.txt', 'bb'],
      ['A.txt', 'aaaa'],
      ['c.txt', 'bb'],
      ['d.txt', 'x'],
      ['e.txt', 'eeeeeeee'],
      ['f.txt', 'ff'],
    );
    for (const [index, count] of [2, 0, 2, 1, 0, 5].entries()) {
      for (let download = 0; download < count; download += 1) {
        await graphql(app, RECORD_DOWNLOAD, { id: files[index].id }, alice.token);
      }
    }
    const columns = {
      CREATED_AT: 'n.created_at',
      UPDATED_AT: 'n.updated_at',
      NAME: 'n.name',
      SIZE: 'b.size',
      DOWNLOADS: 'n.pv',
    } as const;
    for (const [field, column] of Object.entries(columns)) {
      for (const direction of ['ASC', 'DESC']) {
        const expected = (
          await app.dataSource.query<{ name: string }[]>(
            `SELECT n.name FROM nodes n JOIN blobs b ON b.id = n.blob_id JOIN users u ON u.id = n.owner_id
              WHERE u.user_name = $1 ORDER BY ${column} ${direction}, n.id ${direction}`,
            [alice.userName],
          )
        ).map((row) => row.name);
        const read = await readForwards({ orderBy: { field, direction } }, 4);
        expect({ field, direction, read }).toEqual({ field, direction, read: expected });
      }
    }
  });

  it('filters by a part of the name in any case, by content type and by shared state', async () => {
    const [photo, , notes] = await uploadInOrder(
      ['Holiday Photo.png', 'x'],
      ['readme.txt', 'y'],
      ['photo notes.txt', 'z'],
    );
    await uploadFile(app, alice.token, 'real.png', tinyPng(2, 2));
    await graphql(app, SHARE_FILE, { id: notes.id }, alice.token);
    expect(names(await page({ filter: { nameContains: 'PHOTO' } }))).toEqual([
      'photo notes.txt',
      'Holiday Photo.png',
    ]);
    expect(names(await page({ filter: { contentTypePrefix: 'image/' } }))).toEqual(['real.png']);
    expect(names(await page({ filter: { shared: true } }))).toEqual(['photo notes.txt']);
    const unshared = await page({ filter: { shared: false, nameContains: 'photo' } });
    expect(names(unshared)).toEqual([photo.name]);
    expect(unshared.totalCount).toBe(1);
  });

  it('lists a folder, or everything below it', async () => {
    await uploadFile(app, alice.token, 'top.txt', 'top');
    await uploadFile(app, alice.token, 'inner.txt', 'inner', '/a');
    await uploadFile(app, alice.token, 'deep.txt', 'deep', '/a/b');
    expect(names(await page({ folder: '/a' }))).toEqual(['inner.txt']);
    expect(names(await page({ folder: '/a', recursive: true }))).toEqual(['deep.txt', 'inner.txt']);
    expect((await page({ recursive: true })).totalCount).toBe(3);
  });

  it.each([
    ['more than 100', { first: 101 }],
    ['a negative size', { last: -1 }],
    ['first and last together', { first: 2, last: 2 }],
    ['a cursor that is no cursor', { first: 2, after: 'not-a-cursor' }],
    [
      'a forged cursor',
      { first: 2, after: Buffer.from('["drive:NAME:ASC","x","not-a-uuid"]').toString('base64url') },
    ],
  ])('refuses %s with BAD_USER_INPUT', async (_label, variables) => {
    expect(codeOf(await graphql(app, FILES, variables, alice.token))).toBe('BAD_USER_INPUT');
  });

  it('refuses a cursor of one order in another', async () => {
    await uploadInOrder(['x', '1'], ['y', '2']);
    const byName = await page({ first: 1, orderBy: { field: 'NAME', direction: 'ASC' } });
    const answer = await graphql(app, FILES, { first: 1, after: byName.pageInfo.endCursor }, alice.token);
    expect(codeOf(answer)).toBe('BAD_USER_INPUT');
    expect(answer.errors![0].message).toMatch(/cursor/);
  });

  it('answers an empty page with null cursors', async () => {
    const empty = await page({ first: 5 });
    expect(empty).toEqual({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
  });
});
