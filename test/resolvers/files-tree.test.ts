import { randomUUID } from 'node:crypto';
import { md5, signUp, type TestUser } from '../helpers/accounts';
import { graphql } from '../helpers/http';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { NODE_FIELDS, storedObjects, uploadFile, type UploadedNode } from '../helpers/uploads';
import { eventually, withNodeDeletedMidway } from '../helpers/wait';

const FILES = `query ($folder: String!, $recursive: Boolean!, $kind: NodeKind, $orderBy: NodeOrder!, $offset: Int!, $limit: Int!) {
  files(folder: $folder, recursive: $recursive, kind: $kind, orderBy: $orderBy, offset: $offset, limit: $limit) {
    totalCount nodes { ${NODE_FIELDS} }
  }
}`;
const FILE = `query ($id: ID!) { file(id: $id) { ${NODE_FIELDS} } }`;
const INSTANT_UPLOAD = `mutation ($md5: String!, $name: String!, $folder: String!) {
  instantUpload(md5: $md5, name: $name, folder: $folder) { ${NODE_FIELDS} }
}`;
const SHARE_FILE = `mutation ($id: ID!) { shareFile(id: $id) { id } }`;
const CANCEL_SHARE = `mutation ($id: ID!) { cancelShare(id: $id) }`;
const CREATE_FOLDER = `mutation ($path: String!) { createFolder(path: $path) { ${NODE_FIELDS} } }`;
const RENAME = `mutation ($id: ID!, $name: String!, $onConflict: ConflictPolicy!) {
  renameNode(id: $id, name: $name, onConflict: $onConflict) { ${NODE_FIELDS} }
}`;
const MOVE = `mutation ($id: ID!, $folder: String!, $onConflict: ConflictPolicy!) {
  moveNode(id: $id, folder: $folder, onConflict: $onConflict) { ${NODE_FIELDS} }
}`;
const DELETE = `mutation ($id: ID!) { deleteNode(id: $id) }`;
const RECORD_DOWNLOAD = `mutation ($id: ID!) { recordDownload(id: $id) { pv } }`;

type Page = { files: { totalCount: number; nodes: UploadedNode[] } };

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

  async function upload(user: TestUser, content: string, name: string, folder = '/'): Promise<UploadedNode> {
    const answer = await uploadFile(app, user.token, content, { name, folder });
    expect(answer.errors).toBeUndefined();
    return answer.data!.uploadFile;
  }

  const list = (user: TestUser, variables: Record<string, unknown> = {}) =>
    graphql<Page>(
      app,
      FILES,
      { folder: '/', recursive: false, orderBy: 'CREATED', offset: 0, limit: 50, ...variables },
      user.token,
    );
  const paths = async (user: TestUser, variables: Record<string, unknown> = {}) =>
    (await list(user, variables)).data!.files.nodes.map((node) => node.path);
  const refCount = async (content: string) =>
    (
      await app.dataSource.query<{ ref_count: number }[]>(`SELECT ref_count FROM blobs WHERE md5 = $1`, [
        md5(content),
      ])
    ).map((row) => row.ref_count);
  const codeOf = (answer: { errors?: { extensions?: { code?: string } }[] }) =>
    answer.errors?.[0].extensions?.code;

  describe('instantUpload', () => {
    it('adds a file from content someone shares publicly, storing no second copy', async () => {
      const content = `shared ${randomUUID()}`;
      const original = await upload(bob, content, 'original.txt');
      expect((await graphql(app, SHARE_FILE, { id: original.id }, bob.token)).errors).toBeUndefined();
      const objects = (await storedObjects(app, 'blobs')).length;

      const answer = await graphql<{ instantUpload: UploadedNode }>(
        app,
        INSTANT_UPLOAD,
        { md5: md5(content).toUpperCase(), name: 'mine.txt', folder: '/inbox' },
        alice.token,
      );
      expect(answer.errors).toBeUndefined();
      expect(answer.data!.instantUpload).toMatchObject({ path: '/inbox/mine.txt', md5: md5(content) });
      expect(await refCount(content)).toEqual([2]);
      expect(await storedObjects(app, 'blobs')).toHaveLength(objects);
    });

    it('adds a copy of content the caller already has elsewhere', async () => {
      const content = `own ${randomUUID()}`;
      await upload(alice, content, 'first.txt', '/a');
      const answer = await graphql<{ instantUpload: UploadedNode }>(
        app,
        INSTANT_UPLOAD,
        { md5: md5(content), name: 'second.txt', folder: '/b' },
        alice.token,
      );
      expect(answer.data?.instantUpload.path).toBe('/b/second.txt');
      expect(await refCount(content)).toEqual([2]);
    });

    it('hands out nothing from someone else’s private files: CONTENT_UNKNOWN, and the upload that follows is stored once', async () => {
      const content = `private ${randomUUID()}`;
      await upload(bob, content, 'diary.txt');
      const answer = await graphql(
        app,
        INSTANT_UPLOAD,
        { md5: md5(content), name: 'stolen.txt', folder: '/' },
        alice.token,
      );
      expect(codeOf(answer)).toBe('CONTENT_UNKNOWN');
      expect((await list(alice)).data!.files.totalCount).toBe(0);
      expect(await refCount(content)).toEqual([1]);

      const objects = (await storedObjects(app, 'blobs')).length;
      await upload(alice, content, 'mine.txt');
      expect(await refCount(content)).toEqual([2]);
      expect(await storedObjects(app, 'blobs')).toHaveLength(objects);
    });

    it('stops granting content once its public share is cancelled', async () => {
      const content = `withdrawn ${randomUUID()}`;
      const original = await upload(bob, content, 'was-public.txt');
      await graphql(app, SHARE_FILE, { id: original.id }, bob.token);
      await graphql(app, CANCEL_SHARE, { id: original.id }, bob.token);
      const answer = await graphql(
        app,
        INSTANT_UPLOAD,
        { md5: md5(content), name: 'late.txt', folder: '/' },
        alice.token,
      );
      expect(codeOf(answer)).toBe('CONTENT_UNKNOWN');
    });

    it('answers CONTENT_UNKNOWN for an md5 the server has never seen', async () => {
      const answer = await graphql(
        app,
        INSTANT_UPLOAD,
        { md5: md5(randomUUID()), name: 'x', folder: '/' },
        alice.token,
      );
      expect(codeOf(answer)).toBe('CONTENT_UNKNOWN');
    });

    it('answers ALREADY_OWNED when the caller has that content under that name in that folder', async () => {
      const content = `owned ${randomUUID()}`;
      await upload(alice, content, 'have.txt', '/f');
      const again = await graphql(
        app,
        INSTANT_UPLOAD,
        { md5: md5(content), name: 'have.txt', folder: '/f' },
        alice.token,
      );
      expect(codeOf(again)).toBe('ALREADY_OWNED');
      expect(await refCount(content)).toEqual([1]);
      const elsewhere = await graphql(
        app,
        INSTANT_UPLOAD,
        { md5: md5(content), name: 'have.txt', folder: '/' },
        alice.token,
      );
      expect(elsewhere.errors).toBeUndefined();
    });

    it('numbers the name when a different file has it', async () => {
      const content = `numbered ${randomUUID()}`;
      await upload(alice, content, 'source.txt', '/elsewhere');
      await upload(alice, 'something else', 'a.png');
      const answer = await graphql<{ instantUpload: UploadedNode }>(
        app,
        INSTANT_UPLOAD,
        { md5: md5(content), name: 'a.png', folder: '/' },
        alice.token,
      );
      expect(answer.data!.instantUpload.name).toBe('a (1).png');
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
      const answer = await graphql(
        app,
        INSTANT_UPLOAD,
        { md5: md5(content), name: 'two.txt', folder: '/' },
        alice.token,
      );
      expect(codeOf(answer)).toBe('CONTENT_UNKNOWN');
      expect(await paths(alice)).not.toContain('/two.txt');
    });

    it('refuses a malformed md5 and bad names with BAD_USER_INPUT', async () => {
      for (const variables of [
        { md5: 'xyz', name: 'a', folder: '/' },
        { md5: md5('a'), name: 'a/b', folder: '/' },
        { md5: md5('a'), name: '..', folder: '/' },
        { md5: md5('a'), name: 'a', folder: '/a/../b' },
      ]) {
        expect(codeOf(await graphql(app, INSTANT_UPLOAD, variables, alice.token))).toBe('BAD_USER_INPUT');
      }
    });
  });

  describe('files', () => {
    it('lists a folder newest first by default, with the total across pages', async () => {
      await upload(alice, 'one', 'one.txt');
      await upload(alice, 'two', 'two.txt');
      await upload(alice, 'three', 'three.txt');
      const page = await list(alice, { limit: 2 });
      expect(page.data!.files.totalCount).toBe(3);
      expect(page.data!.files.nodes.map((node) => node.name)).toEqual(['three.txt', 'two.txt']);
      expect(await paths(alice, { limit: 2, offset: 2 })).toEqual(['/one.txt']);
      expect(await paths(alice, { offset: 3 })).toEqual([]);
    });

    it('orders by NAME with folders first', async () => {
      await upload(alice, 'b', 'b.txt');
      await upload(alice, 'a', 'A.txt');
      await graphql(app, CREATE_FOLDER, { path: '/zdir' }, alice.token);
      await graphql(app, CREATE_FOLDER, { path: '/adir' }, alice.token);
      expect(await paths(alice, { orderBy: 'NAME' })).toEqual(['/adir', '/zdir', '/A.txt', '/b.txt']);
    });

    it('orders by downloads, both ways', async () => {
      const low = await upload(alice, 'low', 'low.txt');
      const high = await upload(alice, 'high', 'high.txt');
      await upload(alice, 'none', 'none.txt');
      for (const [node, times] of [
        [high, 3],
        [low, 1],
      ] as const) {
        for (let n = 0; n < times; n += 1) await graphql(app, RECORD_DOWNLOAD, { id: node.id }, alice.token);
      }
      expect(await paths(alice, { orderBy: 'PV_DESC' })).toEqual(['/high.txt', '/low.txt', '/none.txt']);
      expect(await paths(alice, { orderBy: 'PV_ASC' })).toEqual(['/none.txt', '/low.txt', '/high.txt']);
    });

    it('lists a folder alone, or recursively, and filters by kind', async () => {
      await upload(alice, 'root', 'root.txt');
      await upload(alice, 'a', 'a.txt', '/a');
      await upload(alice, 'deep', 'deep.txt', '/a/b');
      await upload(alice, 'sibling', 'sibling.txt', '/ab');
      expect((await paths(alice, { folder: '/a', orderBy: 'NAME' })).sort()).toEqual(['/a/a.txt', '/a/b']);
      expect((await paths(alice, { folder: 'a', recursive: true })).sort()).toEqual([
        '/a/a.txt',
        '/a/b',
        '/a/b/deep.txt',
      ]);
      expect((await paths(alice, { recursive: true, kind: 'FILE' })).sort()).toEqual([
        '/a/a.txt',
        '/a/b/deep.txt',
        '/ab/sibling.txt',
        '/root.txt',
      ]);
      expect((await paths(alice, { recursive: true, kind: 'FOLDER' })).sort()).toEqual(['/a', '/a/b', '/ab']);
    });

    it('shows only the caller’s own files', async () => {
      await upload(bob, 'bob', 'bob.txt');
      expect((await list(alice)).data!.files).toEqual({ totalCount: 0, nodes: [] });
    });

    it.each([
      ['limit 0', { limit: 0 }],
      ['limit 1001', { limit: 1001 }],
      ['a negative offset', { offset: -1 }],
      ['a folder that climbs', { folder: '../x' }],
      ['a folder with ".." inside', { folder: '/a/../b' }],
    ])('refuses %s with BAD_USER_INPUT', async (_what, variables) => {
      expect(codeOf(await list(alice, variables))).toBe('BAD_USER_INPUT');
    });

    it('accepts the largest page, 1000', async () => {
      expect((await list(alice, { limit: 1000 })).errors).toBeUndefined();
    });

    it('answers UNAUTHENTICATED without a token', async () => {
      const answer = await graphql(app, FILES, {
        folder: '/',
        recursive: false,
        orderBy: 'NAME',
        offset: 0,
        limit: 1,
      });
      expect(codeOf(answer)).toBe('UNAUTHENTICATED');
    });
  });

  describe('file', () => {
    it('answers the caller’s file with a signed URL', async () => {
      const uploaded = await upload(alice, 'mine', 'mine.txt');
      const answer = await graphql<{ file: UploadedNode }>(app, FILE, { id: uploaded.id }, alice.token);
      expect(answer.data!.file).toMatchObject({ id: uploaded.id, path: '/mine.txt', size: 4 });
      expect(answer.data!.file.url).toMatch(
        new RegExp(`^${app.url}/files/${uploaded.id}/mine\\.txt\\?exp=\\d+&sig=[\\w-]+$`),
      );
    });

    it('answers NOT_FOUND for someone else’s file and for an unknown id', async () => {
      const theirs = await upload(bob, 'theirs', 'theirs.txt');
      expect(codeOf(await graphql(app, FILE, { id: theirs.id }, alice.token))).toBe('NOT_FOUND');
      expect(codeOf(await graphql(app, FILE, { id: randomUUID() }, alice.token))).toBe('NOT_FOUND');
    });

    it.each(['not-a-uuid', '', "1' OR '1'='1", '123'])(
      'answers BAD_USER_INPUT, never INTERNAL, for the id %j',
      async (id) => {
        expect(codeOf(await graphql(app, FILE, { id }, alice.token))).toBe('BAD_USER_INPUT');
      },
    );
  });

  describe('createFolder', () => {
    it('creates missing parents and returns an existing folder as it is', async () => {
      const created = await graphql<{ createFolder: UploadedNode }>(
        app,
        CREATE_FOLDER,
        { path: '/x/y/z' },
        alice.token,
      );
      expect(created.data!.createFolder).toMatchObject({
        kind: 'FOLDER',
        path: '/x/y/z',
        size: null,
        url: null,
      });
      expect((await paths(alice, { recursive: true })).sort()).toEqual(['/x', '/x/y', '/x/y/z']);
      const again = await graphql<{ createFolder: UploadedNode }>(
        app,
        CREATE_FOLDER,
        { path: 'x/y/z/' },
        alice.token,
      );
      expect(again.data!.createFolder.id).toBe(created.data!.createFolder.id);
    });

    it('answers NAME_TAKEN when a file is in the way, creating nothing', async () => {
      await upload(alice, 'file', 'blocker');
      const answer = await graphql(app, CREATE_FOLDER, { path: '/blocker/inside' }, alice.token);
      expect(codeOf(answer)).toBe('NAME_TAKEN');
      expect(await paths(alice, { recursive: true })).toEqual(['/blocker']);
    });

    it.each(['/', '../x', '/a/../b', '/a/./b', 'a\0b', `/${'n'.repeat(256)}`])(
      'refuses the path %j with BAD_USER_INPUT',
      async (path) => {
        expect(codeOf(await graphql(app, CREATE_FOLDER, { path }, alice.token))).toBe('BAD_USER_INPUT');
        expect((await list(alice, { recursive: true })).data!.files.totalCount).toBe(0);
      },
    );
  });

  describe('renameNode', () => {
    it('renames a file, keeping its id and content', async () => {
      const file = await upload(alice, 'content', 'old.txt');
      const answer = await graphql<{ renameNode: UploadedNode }>(
        app,
        RENAME,
        { id: file.id, name: '新 name.txt', onConflict: 'FAIL' },
        alice.token,
      );
      expect(answer.data!.renameNode).toMatchObject({ id: file.id, path: '/新 name.txt', md5: file.md5 });
    });

    it('renames a folder and every path below it', async () => {
      await upload(alice, 'deep', 'deep.txt', '/old/inner');
      const folder = (
        await graphql<{ createFolder: UploadedNode }>(app, CREATE_FOLDER, { path: '/old' }, alice.token)
      ).data!.createFolder;
      await graphql(app, RENAME, { id: folder.id, name: 'new', onConflict: 'FAIL' }, alice.token);
      expect((await paths(alice, { recursive: true })).sort()).toEqual([
        '/new',
        '/new/inner',
        '/new/inner/deep.txt',
      ]);
    });

    it('settles a name collision by policy: FAIL, RENAME, REPLACE', async () => {
      const mover = await upload(alice, 'mover', 'mover.txt');
      await upload(alice, 'occupant', 'taken.txt');
      const failed = await graphql(
        app,
        RENAME,
        { id: mover.id, name: 'taken.txt', onConflict: 'FAIL' },
        alice.token,
      );
      expect(codeOf(failed)).toBe('NAME_TAKEN');

      const renamed = await graphql<{ renameNode: UploadedNode }>(
        app,
        RENAME,
        { id: mover.id, name: 'taken.txt', onConflict: 'RENAME' },
        alice.token,
      );
      expect(renamed.data!.renameNode.name).toBe('taken (1).txt');

      const replaced = await graphql<{ renameNode: UploadedNode }>(
        app,
        RENAME,
        { id: mover.id, name: 'taken.txt', onConflict: 'REPLACE' },
        alice.token,
      );
      expect(replaced.data!.renameNode).toMatchObject({ id: mover.id, name: 'taken.txt', md5: md5('mover') });
      expect(await paths(alice)).toEqual(['/taken.txt']);
      expect(await refCount('occupant')).toEqual([]);
    });

    it.each(['', 'a/b', '.', '..', 'a\nb', 'x'.repeat(256)])(
      'refuses the name %j with BAD_USER_INPUT',
      async (name) => {
        const file = await upload(alice, 'named', 'named.txt');
        expect(
          codeOf(await graphql(app, RENAME, { id: file.id, name, onConflict: 'FAIL' }, alice.token)),
        ).toBe('BAD_USER_INPUT');
        expect(await paths(alice)).toEqual(['/named.txt']);
      },
    );
  });

  describe('moveNode', () => {
    it('moves a file into a new folder', async () => {
      const file = await upload(alice, 'moving', 'm.txt');
      const answer = await graphql<{ moveNode: UploadedNode }>(
        app,
        MOVE,
        { id: file.id, folder: '/dest/sub', onConflict: 'FAIL' },
        alice.token,
      );
      expect(answer.data!.moveNode).toMatchObject({ id: file.id, path: '/dest/sub/m.txt' });
    });

    it('moves a folder with its descendants’ paths rewritten', async () => {
      await upload(alice, 'one', 'one.txt', '/src/a');
      await upload(alice, 'two', 'two.txt', '/src/a/b');
      await upload(alice, 'other', 'other.txt', '/src-other');
      const folder = (
        await graphql<{ createFolder: UploadedNode }>(app, CREATE_FOLDER, { path: '/src/a' }, alice.token)
      ).data!.createFolder;
      const moved = await graphql<{ moveNode: UploadedNode }>(
        app,
        MOVE,
        { id: folder.id, folder: '/dst', onConflict: 'FAIL' },
        alice.token,
      );
      expect(moved.data!.moveNode.path).toBe('/dst/a');
      expect((await paths(alice, { recursive: true, kind: 'FILE' })).sort()).toEqual([
        '/dst/a/b/two.txt',
        '/dst/a/one.txt',
        '/src-other/other.txt',
      ]);
    });

    it('refuses to move a folder into itself or below itself', async () => {
      await upload(alice, 'x', 'x.txt', '/loop/inner');
      const folder = (
        await graphql<{ createFolder: UploadedNode }>(app, CREATE_FOLDER, { path: '/loop' }, alice.token)
      ).data!.createFolder;
      for (const folderPath of ['/loop', '/loop/inner', '/loop/new']) {
        const answer = await graphql(
          app,
          MOVE,
          { id: folder.id, folder: folderPath, onConflict: 'FAIL' },
          alice.token,
        );
        expect(codeOf(answer)).toBe('BAD_USER_INPUT');
      }
      expect((await paths(alice, { recursive: true })).sort()).toEqual([
        '/loop',
        '/loop/inner',
        '/loop/inner/x.txt',
      ]);
    });

    it('moves a folder next to one whose name it prefixes', async () => {
      await graphql(app, CREATE_FOLDER, { path: '/ab' }, alice.token);
      const folder = (
        await graphql<{ createFolder: UploadedNode }>(app, CREATE_FOLDER, { path: '/a' }, alice.token)
      ).data!.createFolder;
      const answer = await graphql(
        app,
        MOVE,
        { id: folder.id, folder: '/ab', onConflict: 'FAIL' },
        alice.token,
      );
      expect(answer.errors).toBeUndefined();
      expect((await paths(alice, { recursive: true })).sort()).toEqual(['/ab', '/ab/a']);
    });

    it('answers NAME_TAKEN when the destination has the name, and BAD_USER_INPUT for a climbing path', async () => {
      const file = await upload(alice, 'first', 'same.txt');
      await upload(alice, 'second', 'same.txt', '/there');
      expect(
        codeOf(await graphql(app, MOVE, { id: file.id, folder: '/there', onConflict: 'FAIL' }, alice.token)),
      ).toBe('NAME_TAKEN');
      expect(
        codeOf(await graphql(app, MOVE, { id: file.id, folder: '../x', onConflict: 'FAIL' }, alice.token)),
      ).toBe('BAD_USER_INPUT');
      expect((await paths(alice, { recursive: true, kind: 'FILE' })).sort()).toEqual([
        '/same.txt',
        '/there/same.txt',
      ]);
    });
  });

  describe('deleteNode', () => {
    it('deletes a file, and its stored bytes once nothing refers to them', async () => {
      const content = `delete me ${randomUUID()}`;
      const mine = await upload(alice, content, 'd.txt');
      const theirs = await upload(bob, content, 'd.txt');
      const objects = (await storedObjects(app, 'blobs')).length;

      expect((await graphql(app, DELETE, { id: mine.id }, alice.token)).data).toEqual({ deleteNode: true });
      expect(await refCount(content)).toEqual([1]);
      expect(await storedObjects(app, 'blobs')).toHaveLength(objects);

      await graphql(app, DELETE, { id: theirs.id }, bob.token);
      expect(await refCount(content)).toEqual([]);
      await eventually(async () => expect(await storedObjects(app, 'blobs')).toHaveLength(objects - 1));
    });

    it('deletes a folder with everything below it, releasing every blob', async () => {
      await upload(alice, 'keep', 'keep.txt', '/keep');
      await upload(alice, 'gone one', 'one.txt', '/trash');
      await upload(alice, 'gone two', 'two.txt', '/trash/deeper');
      await upload(alice, 'gone one', 'dup.txt', '/trash/deeper');
      const folder = (
        await graphql<{ createFolder: UploadedNode }>(app, CREATE_FOLDER, { path: '/trash' }, alice.token)
      ).data!.createFolder;

      await graphql(app, DELETE, { id: folder.id }, alice.token);
      expect((await paths(alice, { recursive: true })).sort()).toEqual(['/keep', '/keep/keep.txt']);
      expect(await refCount('gone one')).toEqual([]);
      expect(await refCount('gone two')).toEqual([]);
      expect(await refCount('keep')).toEqual([1]);
    });

    it('never leaves a file in a folder deleted while the file was being placed there', async () => {
      const folder = (
        await graphql<{ createFolder: UploadedNode }>(app, CREATE_FOLDER, { path: '/album' }, alice.token)
      ).data!.createFolder;
      const placed = await withNodeDeletedMidway(app.dataSource, [folder.id], () =>
        upload(alice, 'placed while deleted', 'late.txt', '/album'),
      );
      // The upload waited for the delete, then made the folder again: nothing points at a missing folder.
      expect(placed.path).toBe('/album/late.txt');
      expect((await paths(alice, { recursive: true })).sort()).toEqual(['/album', '/album/late.txt']);
    });

    it('answers NOT_FOUND for a file already deleted', async () => {
      const file = await upload(alice, 'twice', 'twice.txt');
      await graphql(app, DELETE, { id: file.id }, alice.token);
      expect(codeOf(await graphql(app, DELETE, { id: file.id }, alice.token))).toBe('NOT_FOUND');
    });
  });

  describe('recordDownload', () => {
    it('counts downloads atomically under 50 concurrent calls', async () => {
      const file = await upload(alice, 'popular', 'popular.txt');
      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          graphql<{ recordDownload: { pv: number } }>(app, RECORD_DOWNLOAD, { id: file.id }, alice.token),
        ),
      );
      for (const answer of answers) expect(answer.errors).toBeUndefined();
      expect(answers.map((answer) => answer.data!.recordDownload.pv).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, n) => n + 1),
      );
      expect(
        (await graphql<{ file: UploadedNode }>(app, FILE, { id: file.id }, alice.token)).data!.file.pv,
      ).toBe(50);
    });

    it('answers NOT_FOUND for a folder', async () => {
      const folder = (
        await graphql<{ createFolder: UploadedNode }>(app, CREATE_FOLDER, { path: '/f' }, alice.token)
      ).data!.createFolder;
      expect(codeOf(await graphql(app, RECORD_DOWNLOAD, { id: folder.id }, alice.token))).toBe('NOT_FOUND');
    });
  });

  describe('someone else’s node', () => {
    it('is NOT_FOUND to every mutation, and nothing changes', async () => {
      const file = await upload(bob, 'bob’s', 'private.txt', '/bob');
      const folder = (
        await graphql<{ createFolder: UploadedNode }>(app, CREATE_FOLDER, { path: '/bob' }, bob.token)
      ).data!.createFolder;
      const before = await paths(bob, { recursive: true });
      for (const id of [file.id, folder.id]) {
        for (const [query, variables] of [
          [RENAME, { id, name: 'stolen', onConflict: 'REPLACE' }],
          [MOVE, { id, folder: '/alice', onConflict: 'REPLACE' }],
          [DELETE, { id }],
          [RECORD_DOWNLOAD, { id }],
          [FILE, { id }],
        ] as const) {
          expect(codeOf(await graphql(app, query, variables, alice.token))).toBe('NOT_FOUND');
        }
      }
      expect(await paths(bob, { recursive: true })).toEqual(before);
      expect(
        (await graphql<{ file: UploadedNode }>(app, FILE, { id: file.id }, bob.token)).data!.file.pv,
      ).toBe(0);
      expect((await list(alice, { recursive: true })).data!.files.totalCount).toBe(0);
    });

    it.each([
      ['renameNode', RENAME, { name: 'x', onConflict: 'FAIL' }],
      ['moveNode', MOVE, { folder: '/', onConflict: 'FAIL' }],
      ['deleteNode', DELETE, {}],
      ['recordDownload', RECORD_DOWNLOAD, {}],
    ])('%s answers BAD_USER_INPUT for an id that is not a UUID', async (_name, query, variables) => {
      expect(codeOf(await graphql(app, query, { id: 'nope', ...variables }, alice.token))).toBe(
        'BAD_USER_INPUT',
      );
    });
  });
});
