import { randomUUID } from 'node:crypto';
import { fromGlobalId, IdType, toGlobalId } from '../../src/schema/global-id';
import { md5, signUp, type TestUser } from '../helpers/accounts';
import { graphql, type GraphQLResponse } from '../helpers/http';
import { startTestApp, type TestApp } from '../helpers/test-app';
import {
  FILE_FIELDS,
  storedObjects,
  uploadFile,
  type UploadedFile,
  type UserError,
} from '../helpers/uploads';
import { eventually, withNodeDeletedMidway } from '../helpers/wait';

const USER_ERRORS = 'userErrors { code field message }';
const PAGE_INFO = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';
const FOLDER_FIELDS = 'id name folderPath path createdAt updatedAt';
/** What a mutation answering a DriveItem is asked for: a file's content and size only a file has. */
const ITEM_FIELDS = `__typename id name folderPath path ... on File { md5 size }`;

const LIST_ARGUMENTS = `$folder: String, $recursive: Boolean, $orderBy: DriveItemOrder, $first: Int, $after: String`;
const LIST_VARIABLES = `folder: $folder, recursive: $recursive, orderBy: $orderBy, first: $first, after: $after`;
const FILES = `query (${LIST_ARGUMENTS}) {
  files(${LIST_VARIABLES}) { totalCount nodes { ${FILE_FIELDS} } ${PAGE_INFO} }
}`;
const FOLDERS = `query (${LIST_ARGUMENTS}) {
  folders(${LIST_VARIABLES}) { totalCount nodes { ${FOLDER_FIELDS} } ${PAGE_INFO} }
}`;
const NODE = `query ($id: ID!) {
  node(id: $id) { __typename id ... on File { ${FILE_FIELDS} } ... on Folder { ${FOLDER_FIELDS} } }
}`;
const INSTANT_UPLOAD = `mutation ($md5: String!, $name: String!, $folder: String!) {
  instantUpload(input: { md5: $md5, name: $name, folder: $folder }) { file { ${FILE_FIELDS} } ${USER_ERRORS} }
}`;
const SHARE_FILE = `mutation ($id: ID!) { shareFile(input: { fileId: $id }) { share { id } ${USER_ERRORS} } }`;
const CANCEL_SHARE = `mutation ($id: ID!) { cancelShare(input: { id: $id }) { deletedIds ${USER_ERRORS} } }`;
const CREATE_FOLDER = `mutation ($path: String!) {
  createFolder(input: { path: $path }) { folder { __typename ${FOLDER_FIELDS} } ${USER_ERRORS} }
}`;
const RENAME = `mutation ($id: ID!, $name: String!, $onConflict: ConflictPolicy!) {
  renameItem(input: { id: $id, name: $name, onConflict: $onConflict }) { item { ${ITEM_FIELDS} } ${USER_ERRORS} }
}`;
const MOVE = `mutation ($ids: [ID!]!, $folder: String!, $onConflict: ConflictPolicy!) {
  moveItems(input: { ids: $ids, folder: $folder, onConflict: $onConflict }) {
    items { ${ITEM_FIELDS} } results { id item { ${ITEM_FIELDS} } ${USER_ERRORS} } ${USER_ERRORS}
  }
}`;
const DELETE = `mutation ($ids: [ID!]!) {
  deleteItems(input: { ids: $ids }) { deletedIds results { id deleted ${USER_ERRORS} } ${USER_ERRORS} }
}`;
const RECORD_DOWNLOAD = `mutation ($id: ID!) {
  recordFileDownload(input: { id: $id }) { file { id downloadCount } counted ${USER_ERRORS} }
}`;

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}
interface Connection<Item> {
  totalCount: number;
  nodes: Item[];
  pageInfo: PageInfo;
}
interface FolderItem {
  __typename?: 'Folder';
  id: string;
  name: string;
  folderPath: string;
  path: string;
  createdAt: string;
  updatedAt: string;
}
interface DriveItem {
  __typename: 'File' | 'Folder';
  id: string;
  name: string;
  folderPath: string;
  path: string;
  md5?: string;
  size?: number;
}
type Payload<Fields> = Fields & { userErrors: UserError[] };
type CreateFolderAnswer = { createFolder: Payload<{ folder: FolderItem | null }> };
type InstantUploadAnswer = { instantUpload: Payload<{ file: UploadedFile | null }> };
type RenameAnswer = { renameItem: Payload<{ item: DriveItem | null }> };
type MoveAnswer = {
  moveItems: Payload<{
    items: DriveItem[];
    results: { id: string; item: DriveItem | null; userErrors: UserError[] }[];
  }>;
};
type DeleteAnswer = {
  deleteItems: Payload<{
    deletedIds: string[];
    results: { id: string; deleted: boolean; userErrors: UserError[] }[];
  }>;
};
type RecordDownloadAnswer = {
  recordFileDownload: Payload<{ file: { id: string; downloadCount: number } | null; counted: boolean }>;
};

/** The row id inside a global id: what the database, and file URLs, know an item by. */
function localId(id: string): string {
  const decoded = fromGlobalId(id);
  if (!decoded) throw new Error(`${id} is not a global id`);
  return decoded.localId;
}

describe.each([
  ['with Redis', true],
  ['without Redis', false],
])('the file tree over GraphQL %s', (_label, redis) => {
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    app = await startTestApp({ redis });
    bob = await signUp(app);
  });
  afterAll(() => app.close());
  // A new account per test gives each an empty tree; bob only ever plays the other user.
  beforeEach(async () => {
    alice = await signUp(app);
  });

  async function upload(user: TestUser, content: string, name: string, folder = '/'): Promise<UploadedFile> {
    const answer = await uploadFile(app, user.token, content, { name, folder });
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.uploadFile.userErrors).toEqual([]);
    return answer.data!.uploadFile.file!;
  }

  async function createFolder(user: TestUser, path: string): Promise<FolderItem> {
    const answer = await graphql<CreateFolderAnswer>(app, CREATE_FOLDER, { path }, user.token);
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.createFolder.userErrors).toEqual([]);
    return answer.data!.createFolder.folder!;
  }

  const listFiles = (user: TestUser, variables: Record<string, unknown> = {}) =>
    graphql<{ files: Connection<UploadedFile> }>(app, FILES, { first: 100, ...variables }, user.token);
  const listFolders = (user: TestUser, variables: Record<string, unknown> = {}) =>
    graphql<{ folders: Connection<FolderItem> }>(app, FOLDERS, { first: 100, ...variables }, user.token);
  const filePaths = async (user: TestUser, variables: Record<string, unknown> = {}) =>
    (await listFiles(user, variables)).data!.files.nodes.map((file) => file.path);
  const folderPaths = async (user: TestUser, variables: Record<string, unknown> = {}) =>
    (await listFolders(user, variables)).data!.folders.nodes.map((folder) => folder.path);
  /** The folders, then the files, that `folders` and `files` list with the same arguments. */
  const paths = async (user: TestUser, variables: Record<string, unknown> = {}) => [
    ...(await folderPaths(user, variables)),
    ...(await filePaths(user, variables)),
  ];
  const byName = (direction: 'ASC' | 'DESC') => ({ orderBy: { field: 'NAME', direction } });
  const refCount = async (content: string) =>
    (
      await app.dataSource.query<{ ref_count: number }[]>(`SELECT ref_count FROM blobs WHERE md5 = $1`, [
        md5(content),
      ])
    ).map((row) => row.ref_count);
  /** The code of a top-level error. */
  const codeOf = (answer: GraphQLResponse<unknown>) => answer.errors?.[0].extensions?.code;
  /** The user errors of a mutation's payload, once sure the answer has no top-level error. */
  function userErrorsOf<Data extends Record<string, { userErrors: UserError[] }>>(
    answer: GraphQLResponse<Data>,
    mutation: keyof Data,
  ): UserError[] {
    expect(answer.errors).toBeUndefined();
    return answer.data![mutation].userErrors;
  }

  const instantUpload = (user: TestUser, variables: { md5: string; name: string; folder: string }) =>
    graphql<InstantUploadAnswer>(app, INSTANT_UPLOAD, variables, user.token);
  const rename = (user: TestUser, id: string, name: string, onConflict = 'FAIL') =>
    graphql<RenameAnswer>(app, RENAME, { id, name, onConflict }, user.token);
  const move = (user: TestUser, id: string, folder: string, onConflict = 'FAIL') =>
    graphql<MoveAnswer>(app, MOVE, { ids: [id], folder, onConflict }, user.token);
  const remove = (user: TestUser, ...ids: string[]) =>
    graphql<DeleteAnswer>(app, DELETE, { ids }, user.token);
  const recordDownload = (user: TestUser, id: string) =>
    graphql<RecordDownloadAnswer>(app, RECORD_DOWNLOAD, { id }, user.token);

  describe('instantUpload', () => {
    it('adds a file from content someone shares publicly, storing no second copy', async () => {
      const content = `shared ${randomUUID()}`;
      const original = await upload(bob, content, 'original.txt');
      const shared = await graphql<{ shareFile: Payload<{ share: { id: string } | null }> }>(
        app,
        SHARE_FILE,
        { id: original.id },
        bob.token,
      );
      expect(userErrorsOf(shared, 'shareFile')).toEqual([]);
      const objects = (await storedObjects(app, 'blobs')).length;

      const answer = await instantUpload(alice, {
        md5: md5(content).toUpperCase(),
        name: 'mine.txt',
        folder: '/inbox',
      });
      expect(userErrorsOf(answer, 'instantUpload')).toEqual([]);
      expect(answer.data!.instantUpload.file).toMatchObject({ path: '/inbox/mine.txt', md5: md5(content) });
      expect(await refCount(content)).toEqual([2]);
      expect(await storedObjects(app, 'blobs')).toHaveLength(objects);
    });

    it('adds a copy of content the caller already has elsewhere', async () => {
      const content = `own ${randomUUID()}`;
      await upload(alice, content, 'first.txt', '/a');
      const answer = await instantUpload(alice, { md5: md5(content), name: 'second.txt', folder: '/b' });
      expect(answer.data?.instantUpload.file?.path).toBe('/b/second.txt');
      expect(await refCount(content)).toEqual([2]);
    });

    it('hands out nothing from someone else’s private files: CONTENT_UNKNOWN, and the upload that follows is stored once', async () => {
      const content = `private ${randomUUID()}`;
      await upload(bob, content, 'diary.txt');
      const answer = await instantUpload(alice, { md5: md5(content), name: 'stolen.txt', folder: '/' });
      expect(userErrorsOf(answer, 'instantUpload')).toMatchObject([
        { code: 'CONTENT_UNKNOWN', field: ['input', 'md5'] },
      ]);
      expect(answer.data!.instantUpload.file).toBeNull();
      expect((await listFiles(alice)).data!.files.totalCount).toBe(0);
      expect(await refCount(content)).toEqual([1]);

      const objects = (await storedObjects(app, 'blobs')).length;
      await upload(alice, content, 'mine.txt');
      expect(await refCount(content)).toEqual([2]);
      expect(await storedObjects(app, 'blobs')).toHaveLength(objects);
    });

    it('stops granting content once its public share is cancelled', async () => {
      const content = `withdrawn ${randomUUID()}`;
      const original = await upload(bob, content, 'was-public.txt');
      const shared = await graphql<{ shareFile: Payload<{ share: { id: string } | null }> }>(
        app,
        SHARE_FILE,
        { id: original.id },
        bob.token,
      );
      const shareId = shared.data!.shareFile.share!.id;
      const cancelled = await graphql<{ cancelShare: Payload<{ deletedIds: string[] }> }>(
        app,
        CANCEL_SHARE,
        { id: shareId },
        bob.token,
      );
      expect(userErrorsOf(cancelled, 'cancelShare')).toEqual([]);
      expect(cancelled.data!.cancelShare.deletedIds).toEqual([shareId]);
      const answer = await instantUpload(alice, { md5: md5(content), name: 'late.txt', folder: '/' });
      expect(userErrorsOf(answer, 'instantUpload')[0]?.code).toBe('CONTENT_UNKNOWN');
      expect(answer.data!.instantUpload.file).toBeNull();
    });

    it('answers CONTENT_UNKNOWN for an md5 the server has never seen', async () => {
      const answer = await instantUpload(alice, { md5: md5(randomUUID()), name: 'x', folder: '/' });
      expect(userErrorsOf(answer, 'instantUpload')[0]?.code).toBe('CONTENT_UNKNOWN');
      expect(answer.data!.instantUpload.file).toBeNull();
    });

    it('answers ALREADY_OWNED when the caller has that content under that name in that folder', async () => {
      const content = `owned ${randomUUID()}`;
      await upload(alice, content, 'have.txt', '/f');
      const again = await instantUpload(alice, { md5: md5(content), name: 'have.txt', folder: '/f' });
      expect(userErrorsOf(again, 'instantUpload')).toMatchObject([
        { code: 'ALREADY_OWNED', field: ['input', 'name'] },
      ]);
      expect(again.data!.instantUpload.file).toBeNull();
      expect(await refCount(content)).toEqual([1]);
      const elsewhere = await instantUpload(alice, { md5: md5(content), name: 'have.txt', folder: '/' });
      expect(userErrorsOf(elsewhere, 'instantUpload')).toEqual([]);
      expect(elsewhere.data!.instantUpload.file?.path).toBe('/have.txt');
    });

    it('numbers the name when a different file has it', async () => {
      const content = `numbered ${randomUUID()}`;
      await upload(alice, content, 'source.txt', '/elsewhere');
      await upload(alice, 'something else', 'a.png');
      const answer = await instantUpload(alice, { md5: md5(content), name: 'a.png', folder: '/' });
      expect(answer.data!.instantUpload.file!.name).toBe('a (1).png');
    });

    it('refuses when two blobs the caller may copy share the md5, so the client must send the bytes', async () => {
      const content = `collided ${randomUUID()}`;
      await upload(alice, content, 'one.txt');
      // A second content with the same md5 (a collision), also in alice's files.
      await app.dataSource.query(
        `WITH blob AS (
           INSERT INTO blobs (sha256, md5, size, content_type, storage_key, ref_count)
           VALUES ($1, $2, 1, 'application/octet-stream', $3, 1) RETURNING id)
         INSERT INTO nodes (owner_id, kind, dir, name, blob_id)
         SELECT u.id, 'file', '/', 'collision.txt', blob.id FROM users u, blob WHERE u.user_name = $4`,
        ['f'.repeat(56) + randomUUID().slice(0, 8), md5(content), `blobs/ff/${randomUUID()}`, alice.userName],
      );
      const answer = await instantUpload(alice, { md5: md5(content), name: 'two.txt', folder: '/' });
      expect(userErrorsOf(answer, 'instantUpload')[0]?.code).toBe('CONTENT_UNKNOWN');
      expect(answer.data!.instantUpload.file).toBeNull();
      expect(await paths(alice)).not.toContain('/two.txt');
    });

    it('refuses a malformed md5 and bad names as BAD_USER_INPUT user errors on the field at fault', async () => {
      for (const [variables, field] of [
        [{ md5: 'xyz', name: 'a', folder: '/' }, 'md5'],
        [{ md5: md5('a'), name: 'a/b', folder: '/' }, 'name'],
        [{ md5: md5('a'), name: '..', folder: '/' }, 'name'],
        [{ md5: md5('a'), name: 'a', folder: '/a/../b' }, 'folder'],
      ] as const) {
        const answer = await instantUpload(alice, variables);
        expect(userErrorsOf(answer, 'instantUpload')).toMatchObject([
          { code: 'BAD_USER_INPUT', field: ['input', field] },
        ]);
        expect(answer.data!.instantUpload.file).toBeNull();
      }
    });
  });

  describe('files and folders', () => {
    it('lists a folder newest first by default, a cursor page at a time, with the total across pages', async () => {
      await upload(alice, 'one', 'one.txt');
      await upload(alice, 'two', 'two.txt');
      await upload(alice, 'three', 'three.txt');
      const page = (await graphql<{ files: Connection<UploadedFile> }>(app, FILES, { first: 2 }, alice.token))
        .data!.files;
      expect(page.totalCount).toBe(3);
      expect(page.nodes.map((node) => node.name)).toEqual(['three.txt', 'two.txt']);
      expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });

      const next = (await listFiles(alice, { first: 2, after: page.pageInfo.endCursor })).data!.files;
      expect(next.nodes.map((node) => node.path)).toEqual(['/one.txt']);
      expect(next.totalCount).toBe(3);
      expect(next.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

      const past = (await listFiles(alice, { after: next.pageInfo.endCursor })).data!.files;
      expect(past.nodes).toEqual([]);
      expect(past.pageInfo).toMatchObject({ hasNextPage: false, startCursor: null, endCursor: null });
    });

    it('orders files and folders by NAME, each list on its own', async () => {
      await upload(alice, 'b', 'b.txt');
      await upload(alice, 'a', 'A.txt');
      await createFolder(alice, '/zdir');
      await createFolder(alice, '/adir');
      expect(await folderPaths(alice, byName('ASC'))).toEqual(['/adir', '/zdir']);
      expect(await filePaths(alice, byName('ASC'))).toEqual(['/A.txt', '/b.txt']);
      expect(await folderPaths(alice, byName('DESC'))).toEqual(['/zdir', '/adir']);
      expect(await filePaths(alice, byName('DESC'))).toEqual(['/b.txt', '/A.txt']);
    });

    it('orders by downloads, both ways', async () => {
      const low = await upload(alice, 'low', 'low.txt');
      const high = await upload(alice, 'high', 'high.txt');
      await upload(alice, 'none', 'none.txt');
      for (const [node, times] of [
        [high, 3],
        [low, 1],
      ] as const) {
        for (let n = 0; n < times; n += 1) {
          expect(userErrorsOf(await recordDownload(alice, node.id), 'recordFileDownload')).toEqual([]);
        }
      }
      expect(await filePaths(alice, { orderBy: { field: 'DOWNLOADS', direction: 'DESC' } })).toEqual([
        '/high.txt',
        '/low.txt',
        '/none.txt',
      ]);
      expect(await filePaths(alice, { orderBy: { field: 'DOWNLOADS', direction: 'ASC' } })).toEqual([
        '/none.txt',
        '/low.txt',
        '/high.txt',
      ]);
    });

    it('lists a folder alone, or recursively, its files with `files` and its folders with `folders`', async () => {
      await upload(alice, 'root', 'root.txt');
      await upload(alice, 'a', 'a.txt', '/a');
      await upload(alice, 'deep', 'deep.txt', '/a/b');
      await upload(alice, 'sibling', 'sibling.txt', '/ab');
      expect(await filePaths(alice, { folder: '/a', ...byName('ASC') })).toEqual(['/a/a.txt']);
      expect(await folderPaths(alice, { folder: '/a', ...byName('ASC') })).toEqual(['/a/b']);
      expect((await paths(alice, { folder: 'a', recursive: true })).sort()).toEqual([
        '/a/a.txt',
        '/a/b',
        '/a/b/deep.txt',
      ]);
      expect((await filePaths(alice, { recursive: true })).sort()).toEqual([
        '/a/a.txt',
        '/a/b/deep.txt',
        '/ab/sibling.txt',
        '/root.txt',
      ]);
      expect((await folderPaths(alice, { recursive: true })).sort()).toEqual(['/a', '/a/b', '/ab']);
    });

    it('shows only the caller’s own files and folders', async () => {
      await upload(bob, 'bob', 'bob.txt', '/bobs');
      const empty = {
        totalCount: 0,
        nodes: [],
        pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      };
      expect((await listFiles(alice, { recursive: true })).data!.files).toEqual(empty);
      expect((await listFolders(alice, { recursive: true })).data!.folders).toEqual(empty);
    });

    it.each([
      ['first and last together', { first: 2, last: 2 }],
      ['first 101', { first: 101 }],
      ['a negative first', { first: -1 }],
      ['a cursor that is no cursor', { after: 'not-a-cursor' }],
      ['a folder that climbs', { folder: '../x' }],
      ['a folder with ".." inside', { folder: '/a/../b' }],
    ])('refuses %s with BAD_USER_INPUT', async (_what, variables) => {
      const FILES_PAGE = `query ($first: Int, $last: Int, $after: String, $folder: String) {
        files(first: $first, last: $last, after: $after, folder: $folder) { totalCount }
      }`;
      expect(codeOf(await graphql(app, FILES_PAGE, variables, alice.token))).toBe('BAD_USER_INPUT');
      if ('folder' in variables) expect(codeOf(await listFolders(alice, variables))).toBe('BAD_USER_INPUT');
    });

    it('accepts an empty page (first 0) and the largest page, 100', async () => {
      await upload(alice, 'one', 'one.txt');
      const none = await listFiles(alice, { first: 0 });
      expect(none.errors).toBeUndefined();
      expect(none.data!.files).toMatchObject({ totalCount: 1, nodes: [] });
      expect((await listFiles(alice, { first: 100 })).errors).toBeUndefined();
      expect((await listFolders(alice, { first: 100 })).errors).toBeUndefined();
    });

    it('answers UNAUTHENTICATED without a token', async () => {
      expect(codeOf(await graphql(app, FILES, { first: 1, ...byName('ASC') }))).toBe('UNAUTHENTICATED');
      expect(codeOf(await graphql(app, FOLDERS, { first: 1 }))).toBe('UNAUTHENTICATED');
    });
  });

  describe('node', () => {
    it('answers the caller’s file with a signed URL that expires on the hour, a day ahead', async () => {
      const uploaded = await upload(alice, 'mine', 'mine.txt');
      const answer = await graphql<{ node: UploadedFile & { __typename: string } }>(
        app,
        NODE,
        { id: uploaded.id },
        alice.token,
      );
      expect(answer.errors).toBeUndefined();
      const file = answer.data!.node;
      expect(file).toMatchObject({ __typename: 'File', id: uploaded.id, path: '/mine.txt', size: 4 });
      const url = new RegExp(
        `^${app.url}/files/${localId(uploaded.id)}/mine\\.txt\\?exp=(\\d+)&sig=[\\w-]+$`,
      );
      expect(file.download.url).toMatch(url);
      const expires = Number(url.exec(file.download.url)![1]);
      expect(new Date(file.download.expiresAt).getTime()).toBe(expires * 1000);
      expect(expires % 3600).toBe(0);
      const hoursAhead = (expires * 1000 - Date.now()) / 3_600_000;
      expect(hoursAhead).toBeGreaterThanOrEqual(24 - 0.1);
      expect(hoursAhead).toBeLessThanOrEqual(25);
    });

    it('answers the caller’s folder as a Folder', async () => {
      const folder = await createFolder(alice, '/pics/2024');
      const answer = await graphql<{ node: FolderItem }>(app, NODE, { id: folder.id }, alice.token);
      expect(answer.errors).toBeUndefined();
      expect(answer.data!.node).toEqual({ ...folder, __typename: 'Folder' });
    });

    it('answers null, no error, for someone else’s file and for an unknown id', async () => {
      const theirs = await upload(bob, 'theirs', 'theirs.txt');
      for (const id of [theirs.id, toGlobalId(IdType.FILE, randomUUID())]) {
        const answer = await graphql(app, NODE, { id }, alice.token);
        expect(answer.errors).toBeUndefined();
        expect(answer.data).toEqual({ node: null });
      }
    });

    it.each(['not-a-uuid', '', "1' OR '1'='1", '123', randomUUID()])(
      'answers null, never an error, for the id %j',
      async (id) => {
        const answer = await graphql(app, NODE, { id }, alice.token);
        expect(answer.errors).toBeUndefined();
        expect(answer.data).toEqual({ node: null });
      },
    );
  });

  describe('createFolder', () => {
    it('creates missing parents and returns an existing folder as it is', async () => {
      const created = await createFolder(alice, '/x/y/z');
      expect(created).toMatchObject({ __typename: 'Folder', name: 'z', folderPath: '/x/y', path: '/x/y/z' });
      expect((await folderPaths(alice, { recursive: true })).sort()).toEqual(['/x', '/x/y', '/x/y/z']);
      const again = await createFolder(alice, 'x/y/z');
      expect(again.id).toBe(created.id);
    });

    it.each(['/x/y/', '/x//y', 'x\\y'])('refuses the path %j, creating nothing', async (path) => {
      const answer = await graphql<CreateFolderAnswer>(app, CREATE_FOLDER, { path }, alice.token);
      expect(answer.data!.createFolder.userErrors).toMatchObject([
        { code: 'BAD_USER_INPUT', field: ['input', 'path'] },
      ]);
      expect(await folderPaths(alice, { recursive: true })).toEqual([]);
    });

    it('answers NAME_TAKEN on the path when a file is in the way, creating nothing', async () => {
      await upload(alice, 'file', 'blocker');
      const answer = await graphql<CreateFolderAnswer>(
        app,
        CREATE_FOLDER,
        { path: '/blocker/inside' },
        alice.token,
      );
      expect(userErrorsOf(answer, 'createFolder')).toMatchObject([
        { code: 'NAME_TAKEN', field: ['input', 'path'] },
      ]);
      expect(answer.data!.createFolder.folder).toBeNull();
      expect(await paths(alice, { recursive: true })).toEqual(['/blocker']);
    });

    it.each(['/', '../x', '/a/../b', '/a/./b', `/${'n'.repeat(256)}`])(
      'refuses the path %j with a BAD_USER_INPUT user error on the path',
      async (path) => {
        const answer = await graphql<CreateFolderAnswer>(app, CREATE_FOLDER, { path }, alice.token);
        expect(userErrorsOf(answer, 'createFolder')).toMatchObject([
          { code: 'BAD_USER_INPUT', field: ['input', 'path'] },
        ]);
        expect(answer.data!.createFolder.folder).toBeNull();
        expect((await listFolders(alice, { recursive: true })).data!.folders.totalCount).toBe(0);
        expect((await listFiles(alice, { recursive: true })).data!.files.totalCount).toBe(0);
      },
    );

    it('refuses a NUL in the path as a bad variable: a top-level BAD_USER_INPUT, creating nothing', async () => {
      const answer = await graphql(app, CREATE_FOLDER, { path: 'a\0b' }, alice.token);
      expect(answer.status).toBe(400);
      expect(codeOf(answer)).toBe('BAD_USER_INPUT');
      expect((await listFolders(alice, { recursive: true })).data!.folders.totalCount).toBe(0);
    });
  });

  describe('renameItem', () => {
    it('renames a file, keeping its id and content', async () => {
      const file = await upload(alice, 'content', 'old.txt');
      const answer = await rename(alice, file.id, '新 name.txt');
      expect(userErrorsOf(answer, 'renameItem')).toEqual([]);
      expect(answer.data!.renameItem.item).toMatchObject({
        __typename: 'File',
        id: file.id,
        path: '/新 name.txt',
        md5: file.md5,
      });
    });

    it('renames a folder and every path below it', async () => {
      await upload(alice, 'deep', 'deep.txt', '/old/inner');
      const folder = await createFolder(alice, '/old');
      const answer = await rename(alice, folder.id, 'new');
      expect(answer.data!.renameItem.item).toMatchObject({
        __typename: 'Folder',
        id: folder.id,
        path: '/new',
      });
      expect((await paths(alice, { recursive: true })).sort()).toEqual([
        '/new',
        '/new/inner',
        '/new/inner/deep.txt',
      ]);
    });

    it('settles a name collision by policy: FAIL, RENAME, REPLACE', async () => {
      const mover = await upload(alice, 'mover', 'mover.txt');
      await upload(alice, 'occupant', 'taken.txt');
      const failed = await rename(alice, mover.id, 'taken.txt', 'FAIL');
      expect(userErrorsOf(failed, 'renameItem')).toMatchObject([
        { code: 'NAME_TAKEN', field: ['input', 'name'] },
      ]);
      expect(failed.data!.renameItem.item).toBeNull();

      const renamed = await rename(alice, mover.id, 'taken.txt', 'RENAME');
      expect(renamed.data!.renameItem.item!.name).toBe('taken (1).txt');

      const replaced = await rename(alice, mover.id, 'taken.txt', 'REPLACE');
      expect(replaced.data!.renameItem.item).toMatchObject({
        id: mover.id,
        name: 'taken.txt',
        md5: md5('mover'),
      });
      expect(await paths(alice)).toEqual(['/taken.txt']);
      expect(await refCount('occupant')).toEqual([]);
    });

    it.each(['', 'a/b', '.', '..', 'a\nb', 'x'.repeat(256)])(
      'refuses the name %j with a BAD_USER_INPUT user error on the name',
      async (name) => {
        const file = await upload(alice, 'named', 'named.txt');
        const answer = await rename(alice, file.id, name);
        expect(userErrorsOf(answer, 'renameItem')).toMatchObject([
          { code: 'BAD_USER_INPUT', field: ['input', 'name'] },
        ]);
        expect(answer.data!.renameItem.item).toBeNull();
        expect(await paths(alice)).toEqual(['/named.txt']);
      },
    );
  });

  describe('moveItems', () => {
    it('moves a file into a new folder', async () => {
      const file = await upload(alice, 'moving', 'm.txt');
      const answer = await move(alice, file.id, '/dest/sub');
      expect(userErrorsOf(answer, 'moveItems')).toEqual([]);
      const { items, results } = answer.data!.moveItems;
      expect(results).toEqual([{ id: file.id, item: expect.any(Object), userErrors: [] }]);
      expect(results[0].item).toMatchObject({ __typename: 'File', id: file.id, path: '/dest/sub/m.txt' });
      expect(items).toEqual([results[0].item]);
    });

    it('moves a folder with its descendants’ paths rewritten', async () => {
      await upload(alice, 'one', 'one.txt', '/src/a');
      await upload(alice, 'two', 'two.txt', '/src/a/b');
      await upload(alice, 'other', 'other.txt', '/src-other');
      const folder = await createFolder(alice, '/src/a');
      const moved = await move(alice, folder.id, '/dst');
      expect(moved.data!.moveItems.results[0].item).toMatchObject({ __typename: 'Folder', path: '/dst/a' });
      expect(moved.data!.moveItems.items.map((item) => item.path)).toEqual(['/dst/a']);
      expect((await filePaths(alice, { recursive: true })).sort()).toEqual([
        '/dst/a/b/two.txt',
        '/dst/a/one.txt',
        '/src-other/other.txt',
      ]);
    });

    it('moves each item on its own: one that fails leaves the others moved', async () => {
      const first = await upload(alice, 'first', 'first.txt');
      const blocked = await upload(alice, 'blocked', 'same.txt');
      await upload(alice, 'occupant', 'same.txt', '/there');
      const answer = await graphql<MoveAnswer>(
        app,
        MOVE,
        { ids: [first.id, blocked.id], folder: '/there', onConflict: 'FAIL' },
        alice.token,
      );
      expect(userErrorsOf(answer, 'moveItems')).toEqual([]);
      const { items, results } = answer.data!.moveItems;
      expect(results.map((result) => result.id)).toEqual([first.id, blocked.id]);
      expect(results[0]).toMatchObject({ item: { path: '/there/first.txt' }, userErrors: [] });
      expect(results[1]).toMatchObject({ item: null, userErrors: [{ code: 'NAME_TAKEN' }] });
      expect(items.map((item) => item.id)).toEqual([first.id]);
      expect((await filePaths(alice, { recursive: true })).sort()).toEqual([
        '/same.txt',
        '/there/first.txt',
        '/there/same.txt',
      ]);
    });

    it('refuses to move a folder into itself or below itself', async () => {
      await upload(alice, 'x', 'x.txt', '/loop/inner');
      const folder = await createFolder(alice, '/loop');
      for (const folderPath of ['/loop', '/loop/inner', '/loop/new']) {
        const answer = await move(alice, folder.id, folderPath);
        expect(userErrorsOf(answer, 'moveItems')).toEqual([]);
        expect(answer.data!.moveItems.items).toEqual([]);
        expect(answer.data!.moveItems.results).toMatchObject([
          { id: folder.id, item: null, userErrors: [{ code: 'BAD_USER_INPUT' }] },
        ]);
      }
      expect((await paths(alice, { recursive: true })).sort()).toEqual([
        '/loop',
        '/loop/inner',
        '/loop/inner/x.txt',
      ]);
    });

    it('moves a folder next to one whose name it prefixes', async () => {
      await createFolder(alice, '/ab');
      const folder = await createFolder(alice, '/a');
      const answer = await move(alice, folder.id, '/ab');
      expect(userErrorsOf(answer, 'moveItems')).toEqual([]);
      expect(answer.data!.moveItems.results[0].userErrors).toEqual([]);
      expect((await paths(alice, { recursive: true })).sort()).toEqual(['/ab', '/ab/a']);
    });

    it('answers NAME_TAKEN for the item when the destination has the name, and BAD_USER_INPUT on the folder for a climbing path', async () => {
      const file = await upload(alice, 'first', 'same.txt');
      await upload(alice, 'second', 'same.txt', '/there');
      const taken = await move(alice, file.id, '/there');
      expect(userErrorsOf(taken, 'moveItems')).toEqual([]);
      expect(taken.data!.moveItems).toMatchObject({
        items: [],
        results: [
          { id: file.id, item: null, userErrors: [{ code: 'NAME_TAKEN', field: ['input', 'ids', '0'] }] },
        ],
      });
      const climbing = await move(alice, file.id, '../x');
      expect(userErrorsOf(climbing, 'moveItems')).toMatchObject([
        { code: 'BAD_USER_INPUT', field: ['input', 'folder'] },
      ]);
      expect(climbing.data!.moveItems).toMatchObject({ items: [], results: [] });
      expect((await filePaths(alice, { recursive: true })).sort()).toEqual(['/same.txt', '/there/same.txt']);
    });
  });

  describe('deleteItems', () => {
    it('deletes a file, and its stored bytes once nothing refers to them', async () => {
      const content = `delete me ${randomUUID()}`;
      const mine = await upload(alice, content, 'd.txt');
      const theirs = await upload(bob, content, 'd.txt');
      const objects = (await storedObjects(app, 'blobs')).length;

      expect((await remove(alice, mine.id)).data).toEqual({
        deleteItems: {
          deletedIds: [mine.id],
          results: [{ id: mine.id, deleted: true, userErrors: [] }],
          userErrors: [],
        },
      });
      expect(await refCount(content)).toEqual([1]);
      expect(await storedObjects(app, 'blobs')).toHaveLength(objects);

      expect((await remove(bob, theirs.id)).data!.deleteItems.deletedIds).toEqual([theirs.id]);
      expect(await refCount(content)).toEqual([]);
      await eventually(async () => expect(await storedObjects(app, 'blobs')).toHaveLength(objects - 1));
    });

    it('deletes a folder with everything below it, releasing every blob', async () => {
      await upload(alice, 'keep', 'keep.txt', '/keep');
      await upload(alice, 'gone one', 'one.txt', '/trash');
      await upload(alice, 'gone two', 'two.txt', '/trash/deeper');
      await upload(alice, 'gone one', 'dup.txt', '/trash/deeper');
      const folder = await createFolder(alice, '/trash');

      expect((await remove(alice, folder.id)).data!.deleteItems.deletedIds).toEqual([folder.id]);
      expect((await paths(alice, { recursive: true })).sort()).toEqual(['/keep', '/keep/keep.txt']);
      expect(await refCount('gone one')).toEqual([]);
      expect(await refCount('gone two')).toEqual([]);
      expect(await refCount('keep')).toEqual([1]);
    });

    it('never leaves a file in a folder deleted while the file was being placed there', async () => {
      const folder = await createFolder(alice, '/album');
      const placed = await withNodeDeletedMidway(app.dataSource, [localId(folder.id)], () =>
        upload(alice, 'placed while deleted', 'late.txt', '/album'),
      );
      // The upload waited for the delete, then made the folder again: nothing points at a missing folder.
      expect(placed.path).toBe('/album/late.txt');
      expect((await paths(alice, { recursive: true })).sort()).toEqual(['/album', '/album/late.txt']);
      const [album] = (await listFolders(alice)).data!.folders.nodes;
      expect(album.id).not.toBe(folder.id);
    });

    it('answers NOT_FOUND for a file already deleted, for that item alone', async () => {
      const file = await upload(alice, 'twice', 'twice.txt');
      const other = await upload(alice, 'other', 'other.txt');
      await remove(alice, file.id);
      const again = await remove(alice, file.id, other.id);
      expect(userErrorsOf(again, 'deleteItems')).toEqual([]);
      expect(again.data!.deleteItems.deletedIds).toEqual([other.id]);
      expect(again.data!.deleteItems.results).toEqual([
        {
          id: file.id,
          deleted: false,
          userErrors: [{ code: 'NOT_FOUND', field: ['input', 'ids', '0'], message: expect.any(String) }],
        },
        { id: other.id, deleted: true, userErrors: [] },
      ]);
      expect(await paths(alice, { recursive: true })).toEqual([]);
    });
  });

  describe('recordFileDownload', () => {
    it('counts downloads atomically under 50 concurrent calls', async () => {
      const file = await upload(alice, 'popular', 'popular.txt');
      const answers = await Promise.all(Array.from({ length: 50 }, () => recordDownload(alice, file.id)));
      for (const answer of answers) {
        expect(answer.errors).toBeUndefined();
        expect(answer.data!.recordFileDownload).toMatchObject({ counted: true, userErrors: [] });
      }
      expect(
        answers.map((answer) => answer.data!.recordFileDownload.file!.downloadCount).sort((a, b) => a - b),
      ).toEqual(Array.from({ length: 50 }, (_, n) => n + 1));
      expect(
        (await graphql<{ node: UploadedFile }>(app, NODE, { id: file.id }, alice.token)).data!.node
          .downloadCount,
      ).toBe(50);
    });

    it('answers BAD_USER_INPUT for a folder’s id, and NOT_FOUND for a file id naming a folder', async () => {
      const folder = await createFolder(alice, '/f');
      const byFolderId = await recordDownload(alice, folder.id);
      expect(userErrorsOf(byFolderId, 'recordFileDownload')).toMatchObject([
        { code: 'BAD_USER_INPUT', field: ['input', 'id'] },
      ]);
      expect(byFolderId.data!.recordFileDownload).toMatchObject({ file: null, counted: false });
      const asFile = await recordDownload(alice, toGlobalId(IdType.FILE, localId(folder.id)));
      expect(userErrorsOf(asFile, 'recordFileDownload')).toMatchObject([
        { code: 'NOT_FOUND', field: ['input', 'id'] },
      ]);
      expect(asFile.data!.recordFileDownload).toMatchObject({ file: null, counted: false });
    });
  });

  describe('someone else’s items', () => {
    it('are NOT_FOUND to every mutation and null to node, and nothing changes', async () => {
      const file = await upload(bob, 'bob’s', 'private.txt', '/bob');
      const folder = await createFolder(bob, '/bob');
      const before = await paths(bob, { recursive: true });
      const notFound = [{ code: 'NOT_FOUND' }];
      for (const id of [file.id, folder.id]) {
        const renamed = await rename(alice, id, 'stolen', 'REPLACE');
        expect(userErrorsOf(renamed, 'renameItem')).toMatchObject(notFound);
        expect(renamed.data!.renameItem.item).toBeNull();

        const moved = await move(alice, id, '/alice', 'REPLACE');
        expect(userErrorsOf(moved, 'moveItems')).toEqual([]);
        expect(moved.data!.moveItems).toMatchObject({
          items: [],
          results: [{ id, item: null, userErrors: notFound }],
        });

        const deleted = await remove(alice, id);
        expect(userErrorsOf(deleted, 'deleteItems')).toEqual([]);
        expect(deleted.data!.deleteItems).toMatchObject({
          deletedIds: [],
          results: [{ id, deleted: false, userErrors: notFound }],
        });

        const node = await graphql(app, NODE, { id }, alice.token);
        expect(node.errors).toBeUndefined();
        expect(node.data).toEqual({ node: null });
      }
      const counted = await recordDownload(alice, file.id);
      expect(userErrorsOf(counted, 'recordFileDownload')).toMatchObject(notFound);
      expect(counted.data!.recordFileDownload).toMatchObject({ file: null, counted: false });

      expect(await paths(bob, { recursive: true })).toEqual(before);
      expect(
        (await graphql<{ node: UploadedFile }>(app, NODE, { id: file.id }, bob.token)).data!.node
          .downloadCount,
      ).toBe(0);
      expect((await paths(alice, { recursive: true })).length).toBe(0);
    });

    it.each([
      ['renameItem', RENAME, { id: 'nope', name: 'x', onConflict: 'FAIL' }, ['input', 'id']],
      ['moveItems', MOVE, { ids: ['nope'], folder: '/', onConflict: 'FAIL' }, ['input', 'ids', '0']],
      ['deleteItems', DELETE, { ids: ['nope'] }, ['input', 'ids', '0']],
      ['recordFileDownload', RECORD_DOWNLOAD, { id: 'nope' }, ['input', 'id']],
    ])(
      '%s answers a BAD_USER_INPUT user error on the id for an id that is not a global id',
      async (mutation, query, variables, field) => {
        const answer = await graphql<
          Record<string, { userErrors: UserError[]; results?: { userErrors: UserError[] }[] }>
        >(app, query, variables, alice.token);
        expect(answer.errors).toBeUndefined();
        const payload = answer.data![mutation];
        const userErrors = payload.results ? payload.results[0].userErrors : payload.userErrors;
        expect(userErrors).toMatchObject([{ code: 'BAD_USER_INPUT', field }]);
      },
    );
  });
});
