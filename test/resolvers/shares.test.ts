import { fromGlobalId, IdType, toGlobalId } from '../../src/schema/global-id';
import { signUp } from '../helpers/accounts';
import { deleteItem, uploadFile } from '../helpers/files';
import { graphql, type GraphQLResponse } from '../helpers/http';
import { STORAGE_AND_REDIS } from '../helpers/s3';
import { statementsDuring } from '../helpers/statements';
import { startTestApp, type TestApp } from '../helpers/test-app';
import type { UserError } from '../helpers/uploads';
import { racingTransaction, withNodeDeletedMidway } from '../helpers/wait';

const USER_ERRORS = `userErrors { code field message }`;
const SHARE_FIELDS = `id name md5 size contentType downloadCount createdAt sharer url`;
const SHARE_FILE = `mutation ($id: ID!) {
  shareFile(input: { fileId: $id }) { share { ${SHARE_FIELDS} } ${USER_ERRORS} }
}`;
const CANCEL_SHARE = `mutation ($id: ID!) { cancelShare(input: { id: $id }) { deletedIds ${USER_ERRORS} } }`;
const SHARED_FILES = `query ($first: Int, $after: String, $last: Int, $before: String) {
  sharedFiles(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { ${SHARE_FIELDS} } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
const SHARE_BY_CONTENT = `query ($md5: String!, $name: String!) {
  shareByContent(md5: $md5, name: $name) { ${SHARE_FIELDS} }
}`;
const SHARED_FILE_OF_SHARE = `query ($md5: String!, $name: String!) {
  shareByContent(md5: $md5, name: $name) { file { id name } }
}`;
const SAVE_SHARED_FILE = `mutation ($shareId: ID!, $folder: String! = "/") {
  saveSharedFile(input: { shareId: $shareId, folder: $folder }) {
    file { id name path md5 share { id } }
    ${USER_ERRORS}
  }
}`;
const RECORD_DOWNLOAD = `mutation ($id: ID!) {
  recordShareDownload(input: { id: $id }) { share { id downloadCount } counted ${USER_ERRORS} }
}`;
const FILES = `query ($folder: String! = "/") {
  files(folder: $folder, first: 100) { nodes { name share { id } } }
}`;
const FILE_SHARE = `query ($id: ID!) { node(id: $id) { ... on File { share { id } } } }`;
const RENAME = `mutation ($id: ID!, $name: String!) {
  renameItem(input: { id: $id, name: $name }) { item { name } ${USER_ERRORS} }
}`;

interface ShareData {
  id: string;
  name: string;
  md5: string;
  size: number;
  contentType: string;
  downloadCount: number;
  createdAt: string;
  sharer: string;
  url: string;
}

interface SharedFilesPage {
  totalCount: number;
  edges: { cursor: string; node: ShareData }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

const NO_SHARE = toGlobalId(IdType.SHARE, '00000000-0000-0000-0000-000000000000');

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

describe.each(STORAGE_AND_REDIS)('public file shares %s', (_label, variant) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(variant);
  });
  afterAll(() => app.close());

  async function share(token: string, id: string): Promise<ShareData> {
    const answer = await graphql<{ shareFile: { share: ShareData | null; userErrors: UserError[] } }>(
      app,
      SHARE_FILE,
      { id },
      token,
    );
    if (!answer.data?.shareFile.share) throw new Error(JSON.stringify(answer.errors ?? answer.data));
    expect(answer.data.shareFile.userErrors).toEqual([]);
    return answer.data.shareFile.share;
  }

  async function shareByContent(md5: string, name: string): Promise<ShareData | null | undefined> {
    const answer = await graphql<{ shareByContent: ShareData | null }>(app, SHARE_BY_CONTENT, { md5, name });
    expect(answer.errors).toBeUndefined();
    return answer.data?.shareByContent;
  }

  /** Every public share, paged through with cursors. */
  async function allShares(): Promise<ShareData[]> {
    const shares: ShareData[] = [];
    let after: string | null = null;
    for (;;) {
      const answer: GraphQLResponse<{ sharedFiles: SharedFilesPage }> = await graphql(app, SHARED_FILES, {
        first: 100,
        after,
      });
      expect(answer.errors).toBeUndefined();
      const page = answer.data!.sharedFiles;
      shares.push(...page.edges.map((edge) => edge.node));
      if (!page.pageInfo.hasNextPage) return shares;
      after = page.pageInfo.endCursor;
    }
  }

  it('shares a file publicly: listed newest first, found by md5 and name, with sharer and public URL', async () => {
    const alice = await signUp(app);
    const bob = await signUp(app);
    const first = await uploadFile(app, alice.token, 'notes.txt', 'first shared text');
    const second = await uploadFile(app, alice.token, 'report 1.txt', 'second shared text');

    const shared = await share(alice.token, first.id);
    expect(shared).toMatchObject({
      name: 'notes.txt',
      md5: first.md5,
      size: first.size,
      contentType: first.contentType,
      downloadCount: 0,
      sharer: alice.userName,
      url: `${app.url}/s/${localId(shared.id)}/notes.txt`,
    });
    expect(fromGlobalId(shared.id)?.type).toBe(IdType.SHARE);
    const later = await share(alice.token, second.id);
    expect(later.url).toBe(`${app.url}/s/${localId(later.id)}/report%201.txt`);

    const listed = await graphql<{ sharedFiles: SharedFilesPage }>(app, SHARED_FILES, { first: 2 });
    expect(listed.errors).toBeUndefined();
    const page = listed.data!.sharedFiles;
    expect(page.edges.map((edge) => edge.node.id)).toEqual([later.id, shared.id]);
    expect(page.totalCount).toBeGreaterThanOrEqual(2);
    expect(page.pageInfo).toMatchObject({
      hasPreviousPage: false,
      startCursor: page.edges[0].cursor,
      endCursor: page.edges[1].cursor,
    });

    expect(await shareByContent(first.md5.toUpperCase(), 'notes.txt')).toEqual(shared);

    // The shared file itself is the sharer's to see, and no one else's.
    const asSharer = await graphql(
      app,
      SHARED_FILE_OF_SHARE,
      { md5: first.md5, name: 'notes.txt' },
      alice.token,
    );
    expect(asSharer.data).toEqual({ shareByContent: { file: { id: first.id, name: 'notes.txt' } } });
    const asOther = await graphql(
      app,
      SHARED_FILE_OF_SHARE,
      { md5: first.md5, name: 'notes.txt' },
      bob.token,
    );
    expect(asOther.data).toEqual({ shareByContent: { file: null } });
    const anonymous = await graphql(app, SHARED_FILE_OF_SHARE, { md5: first.md5, name: 'notes.txt' });
    expect(anonymous.data).toEqual({ shareByContent: { file: null } });
  });

  it('answers ALREADY_SHARED for the same file again and for anyone’s file with the same md5 and name', async () => {
    const alice = await signUp(app);
    const bob = await signUp(app);
    const mine = await uploadFile(app, alice.token, 'same.txt', 'identical bytes');
    const his = await uploadFile(app, bob.token, 'same.txt', 'identical bytes');
    await share(alice.token, mine.id);

    const again = await graphql(app, SHARE_FILE, { id: mine.id }, alice.token);
    expectUserError(again, 'shareFile', 'ALREADY_SHARED', ['input', 'fileId']);
    const other = await graphql(app, SHARE_FILE, { id: his.id }, bob.token);
    expectUserError(other, 'shareFile', 'ALREADY_SHARED', ['input', 'fileId']);

    const renamed = await uploadFile(app, bob.token, 'other-name.txt', 'identical bytes');
    expect((await share(bob.token, renamed.id)).name).toBe('other-name.txt');
  });

  it('refuses to share someone else’s file, a folder, an id that is no file’s, or anything without a session', async () => {
    const alice = await signUp(app);
    const mallory = await signUp(app);
    const file = await uploadFile(app, alice.token, 'private.txt', 'private');

    expectUserError(
      await graphql(app, SHARE_FILE, { id: file.id }, mallory.token),
      'shareFile',
      'NOT_FOUND',
      ['input', 'fileId'],
    );
    expect(topLevelCode(await graphql(app, SHARE_FILE, { id: file.id }))).toBe('UNAUTHENTICATED');
    for (const id of ['not-a-uuid', localId(file.id), toGlobalId(IdType.SHARE, localId(file.id))]) {
      expectUserError(await graphql(app, SHARE_FILE, { id }, alice.token), 'shareFile', 'BAD_USER_INPUT', [
        'input',
        'fileId',
      ]);
    }
    const folder = await graphql<{ createFolder: { folder: { id: string } } }>(
      app,
      `
        mutation {
          createFolder(input: { path: "/box" }) {
            folder {
              id
            }
          }
        }
      `,
      {},
      alice.token,
    );
    const folderId = folder.data!.createFolder.folder.id;
    // A folder's own id is not a file's id at all; the folder named as a file is no file.
    expectUserError(
      await graphql(app, SHARE_FILE, { id: folderId }, alice.token),
      'shareFile',
      'BAD_USER_INPUT',
      ['input', 'fileId'],
    );
    expectUserError(
      await graphql(app, SHARE_FILE, { id: toGlobalId(IdType.FILE, localId(folderId)) }, alice.token),
      'shareFile',
      'NOT_FOUND',
      ['input', 'fileId'],
    );
  });

  it('cancels only the caller’s own share, by the share’s id, and NOT_FOUND when there is no such share', async () => {
    const alice = await signUp(app);
    const mallory = await signUp(app);
    const file = await uploadFile(app, alice.token, 'cancel-me.txt', 'cancel me');
    expect((await graphql(app, FILE_SHARE, { id: file.id }, alice.token)).data).toEqual({
      node: { share: null },
    });
    expectUserError(
      await graphql(app, CANCEL_SHARE, { id: NO_SHARE }, alice.token),
      'cancelShare',
      'NOT_FOUND',
      ['input', 'id'],
    );
    // A file's id is not a share's.
    expectUserError(
      await graphql(app, CANCEL_SHARE, { id: file.id }, alice.token),
      'cancelShare',
      'BAD_USER_INPUT',
      ['input', 'id'],
    );

    const shared = await share(alice.token, file.id);
    expect((await graphql(app, FILE_SHARE, { id: file.id }, alice.token)).data).toEqual({
      node: { share: { id: shared.id } },
    });
    expectUserError(
      await graphql(app, CANCEL_SHARE, { id: shared.id }, mallory.token),
      'cancelShare',
      'NOT_FOUND',
      ['input', 'id'],
    );
    expect(topLevelCode(await graphql(app, CANCEL_SHARE, { id: shared.id }))).toBe('UNAUTHENTICATED');
    expect(await shareByContent(shared.md5, shared.name)).toEqual(shared);

    const cancelled = await graphql(app, CANCEL_SHARE, { id: shared.id }, alice.token);
    expect(cancelled).toMatchObject({ data: { cancelShare: { deletedIds: [shared.id], userErrors: [] } } });
    expect(cancelled.errors).toBeUndefined();
    expect(await shareByContent(shared.md5, shared.name)).toBeNull();
    expect((await graphql(app, FILE_SHARE, { id: file.id }, alice.token)).data).toEqual({
      node: { share: null },
    });
    expectUserError(
      await graphql(app, CANCEL_SHARE, { id: shared.id }, alice.token),
      'cancelShare',
      'NOT_FOUND',
      ['input', 'id'],
    );
    expect((await share(alice.token, file.id)).id).not.toBe(shared.id);
  });

  it('saves a shared file into the caller’s folder as one more reference to the same content', async () => {
    const alice = await signUp(app);
    const bob = await signUp(app);
    const file = await uploadFile(app, alice.token, 'saved.txt', 'content worth saving');
    const shared = await share(alice.token, file.id);

    const saved = await graphql<{
      saveSharedFile: {
        file: { id: string; name: string; path: string; md5: string; share: { id: string } | null };
      };
    }>(app, SAVE_SHARED_FILE, { shareId: shared.id, folder: '/inbox' }, bob.token);
    expect(saved.errors).toBeUndefined();
    expect(saved.data?.saveSharedFile).toMatchObject({
      file: { name: 'saved.txt', path: '/inbox/saved.txt', md5: file.md5, share: null },
      userErrors: [],
    });
    const [blob] = await app.dataSource.query<{ ref_count: number }[]>(
      `SELECT ref_count FROM blobs WHERE sha256 = $1`,
      [file.sha256],
    );
    expect(blob.ref_count).toBe(2);

    const again = await graphql(app, SAVE_SHARED_FILE, { shareId: shared.id, folder: '/inbox' }, bob.token);
    expectUserError(again, 'saveSharedFile', 'ALREADY_OWNED', ['input', 'shareId']);
    const own = await graphql(app, SAVE_SHARED_FILE, { shareId: shared.id }, alice.token);
    expectUserError(own, 'saveSharedFile', 'ALREADY_OWNED', ['input', 'shareId']);
    const toRoot = await graphql<{ saveSharedFile: { file: { path: string } } }>(
      app,
      SAVE_SHARED_FILE,
      { shareId: shared.id },
      bob.token,
    );
    expect(toRoot.data?.saveSharedFile).toMatchObject({ file: { path: '/saved.txt' }, userErrors: [] });
  });

  it('saves nothing that is not shared (NOT_FOUND; BAD_USER_INPUT for ids that are no share’s), and only for a signed-in caller', async () => {
    const alice = await signUp(app);
    const bob = await signUp(app);
    const file = await uploadFile(app, alice.token, 'never-shared.txt', 'never shared');
    const shared = await share(alice.token, file.id);
    await graphql(app, CANCEL_SHARE, { id: shared.id }, alice.token);

    for (const shareId of [shared.id, NO_SHARE]) {
      expectUserError(
        await graphql(app, SAVE_SHARED_FILE, { shareId }, bob.token),
        'saveSharedFile',
        'NOT_FOUND',
        ['input', 'shareId'],
      );
    }
    for (const shareId of [
      file.id,
      localId(shared.id),
      '00000000-0000-0000-0000-000000000000',
      'x',
      "1' OR '1'='1",
    ]) {
      expectUserError(
        await graphql(app, SAVE_SHARED_FILE, { shareId }, bob.token),
        'saveSharedFile',
        'BAD_USER_INPUT',
        ['input', 'shareId'],
      );
    }
    const [row] = await app.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM nodes n JOIN users u ON u.id = n.owner_id WHERE u.user_name = $1`,
      [bob.userName],
    );
    expect(row.n).toBe(0);
    const other = await share(alice.token, file.id);
    expect(topLevelCode(await graphql(app, SAVE_SHARED_FILE, { shareId: other.id }))).toBe('UNAUTHENTICATED');
  });

  it('records public downloads without a session, answering the new count', async () => {
    const alice = await signUp(app);
    const file = await uploadFile(app, alice.token, 'popular.txt', 'popular');
    const shared = await share(alice.token, file.id);

    const first = await graphql(app, RECORD_DOWNLOAD, { id: shared.id });
    expect(first.errors).toBeUndefined();
    expect(first.data).toEqual({
      recordShareDownload: { share: { id: shared.id, downloadCount: 1 }, counted: true, userErrors: [] },
    });
    const second = await graphql(app, RECORD_DOWNLOAD, { id: shared.id });
    expect(second.data).toEqual({
      recordShareDownload: { share: { id: shared.id, downloadCount: 2 }, counted: true, userErrors: [] },
    });
    expectUserError(
      await graphql(app, RECORD_DOWNLOAD, { id: NO_SHARE }),
      'recordShareDownload',
      'NOT_FOUND',
      ['input', 'id'],
    );
    for (const id of ['00000000-0000-0000-0000-000000000000', 'nope', file.id]) {
      expectUserError(await graphql(app, RECORD_DOWNLOAD, { id }), 'recordShareDownload', 'BAD_USER_INPUT', [
        'input',
        'id',
      ]);
    }
  });

  it('follows its file: a rename renames the share, a delete ends it', async () => {
    const alice = await signUp(app);
    const file = await uploadFile(app, alice.token, 'before.txt', 'renamed later');
    const shared = await share(alice.token, file.id);

    const renamed = await graphql(app, RENAME, { id: file.id, name: 'after.txt' }, alice.token);
    expect(renamed.data).toEqual({ renameItem: { item: { name: 'after.txt' }, userErrors: [] } });
    expect(await shareByContent(shared.md5, 'after.txt')).toMatchObject({
      id: shared.id,
      name: 'after.txt',
      url: `${app.url}/s/${localId(shared.id)}/after.txt`,
    });
    expect(await shareByContent(shared.md5, 'before.txt')).toBeNull();

    await deleteItem(app, alice.token, file.id);
    expect(await shareByContent(shared.md5, 'after.txt')).toBeNull();
    expect((await allShares()).map((s) => s.id)).not.toContain(shared.id);
    expectUserError(
      await graphql(app, RECORD_DOWNLOAD, { id: shared.id }),
      'recordShareDownload',
      'NOT_FOUND',
      ['input', 'id'],
    );
  });

  it('answers NOT_FOUND, not INTERNAL, when the file is deleted while it is being shared', async () => {
    const alice = await signUp(app);
    const file = await uploadFile(app, alice.token, 'doomed.txt', 'deleted while shared');
    const answer = await withNodeDeletedMidway(app.dataSource, [localId(file.id)], () =>
      graphql(app, SHARE_FILE, { id: file.id }, alice.token),
    );
    expectUserError(answer, 'shareFile', 'NOT_FOUND', ['input', 'fileId']);
    expect(await app.dataSource.query('SELECT 1 FROM shares WHERE node_id = $1', [localId(file.id)])).toEqual(
      [],
    );
  });

  it('ends a share whose rename collides with someone else’s share of the same md5 and name', async () => {
    const alice = await signUp(app);
    const bob = await signUp(app);
    const hers = await uploadFile(app, alice.token, 'taken.txt', 'colliding content');
    const his = await uploadFile(app, bob.token, 'free.txt', 'colliding content');
    await share(alice.token, hers.id);
    const bobs = await share(bob.token, his.id);

    const renamed = await graphql(app, RENAME, { id: his.id, name: 'taken.txt' }, bob.token);
    expect(renamed.data).toEqual({ renameItem: { item: { name: 'taken.txt' }, userErrors: [] } });
    expectUserError(
      await graphql(app, RECORD_DOWNLOAD, { id: bobs.id }),
      'recordShareDownload',
      'NOT_FOUND',
      ['input', 'id'],
    );
    expect((await shareByContent(hers.md5, 'taken.txt'))?.sharer).toBe(alice.userName);
  });

  it('ends the renamed file’s share when an equal share commits while the rename runs', async () => {
    const alice = await signUp(app);
    const bob = await signUp(app);
    const hers = await uploadFile(app, alice.token, 'taken.txt', 'raced content');
    const his = await uploadFile(app, bob.token, 'free.txt', 'raced content');
    const bobs = await share(bob.token, his.id);

    const renamed = await racingTransaction(
      app.dataSource,
      (query) =>
        query(
          `INSERT INTO shares (node_id, owner_id, md5, name)
           SELECT id, owner_id, $2, name FROM nodes WHERE id = $1`,
          [localId(hers.id), hers.md5],
        ),
      async () => undefined,
      () => graphql(app, RENAME, { id: his.id, name: 'taken.txt' }, bob.token),
    );
    expect(renamed.errors).toBeUndefined();
    expect(renamed.data).toEqual({ renameItem: { item: { name: 'taken.txt' }, userErrors: [] } });
    expectUserError(
      await graphql(app, RECORD_DOWNLOAD, { id: bobs.id }),
      'recordShareDownload',
      'NOT_FOUND',
      ['input', 'id'],
    );
  });

  it('tells on every file its share (or null), with one query for the whole list', async () => {
    const alice = await signUp(app);
    const files = [];
    for (let i = 0; i < 6; i += 1)
      files.push(await uploadFile(app, alice.token, `f${i}.txt`, `flag ${i}`, '/flags'));
    const one = await share(alice.token, files[1].id);
    const four = await share(alice.token, files[4].id);

    const statements = await statementsDuring(async () => {
      const listed = await graphql<{ files: { nodes: { name: string; share: { id: string } | null }[] } }>(
        app,
        FILES,
        { folder: '/flags' },
        alice.token,
      );
      expect(listed.errors).toBeUndefined();
      const shares = Object.fromEntries(listed.data!.files.nodes.map((node) => [node.name, node.share]));
      expect(shares).toEqual({
        'f0.txt': null,
        'f1.txt': { id: one.id },
        'f2.txt': null,
        'f3.txt': null,
        'f4.txt': { id: four.id },
        'f5.txt': null,
      });
    });
    const lookups = statements.filter((sql) => /FROM shares\b[\s\S]*\bnode_id = ANY\(/.test(sql));
    expect(lookups).toHaveLength(1);
  });

  it('validates paging: first and last 0..100, not both, and only cursors of this list', async () => {
    const alice = await signUp(app);
    const file = await uploadFile(app, alice.token, 'paged.txt', 'paged content');
    await share(alice.token, file.id);
    const ranking = await graphql<{ downloadRanking: { pageInfo: { endCursor: string } } }>(
      app,
      `
        query {
          downloadRanking(first: 1) {
            pageInfo {
              endCursor
            }
          }
        }
      `,
    );
    const foreignCursor = ranking.data!.downloadRanking.pageInfo.endCursor;
    expect(foreignCursor).toEqual(expect.any(String));
    for (const variables of [
      { first: -1 },
      { first: 101 },
      { last: -1 },
      { last: 101 },
      { first: 1, last: 1 },
      { after: 'not a cursor' },
      { before: 'not a cursor' },
      { after: foreignCursor },
    ]) {
      expect([variables, topLevelCode(await graphql(app, SHARED_FILES, variables))]).toEqual([
        variables,
        'BAD_USER_INPUT',
      ]);
    }
    const empty = await graphql<{ sharedFiles: SharedFilesPage }>(app, SHARED_FILES, { first: 0 });
    expect(empty.data?.sharedFiles.edges).toEqual([]);
    expect(topLevelCode(await graphql(app, SHARE_BY_CONTENT, { md5: 'zz', name: 'a' }))).toBe(
      'BAD_USER_INPUT',
    );
  });
});
