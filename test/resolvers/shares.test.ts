import { signUp } from '../helpers/accounts';
import { uploadFile } from '../helpers/files';
import { graphql } from '../helpers/http';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { racingTransaction, withNodeDeletedMidway } from '../helpers/wait';

const SHARE_FIELDS = `id name md5 size contentType pv createdAt sharer url`;
const SHARE_FILE = `mutation ($id: ID!) { shareFile(id: $id) { ${SHARE_FIELDS} } }`;
const CANCEL_SHARE = `mutation ($id: ID!) { cancelShare(id: $id) }`;
const SHARED_FILES = `query ($offset: Int, $limit: Int) {
  sharedFiles(offset: $offset, limit: $limit) { totalCount shares { ${SHARE_FIELDS} } }
}`;
const SHARED_FILE = `query ($md5: String!, $name: String!) { sharedFile(md5: $md5, name: $name) { ${SHARE_FIELDS} } }`;
const SAVE_SHARED_FILE = `mutation ($shareId: ID!, $folder: String! = "/") {
  saveSharedFile(shareId: $shareId, folder: $folder) { id name path md5 shared }
}`;
const RECORD_DOWNLOAD = `mutation ($shareId: ID!) { recordSharedDownload(shareId: $shareId) { id pv } }`;
const FILES = `query ($folder: String! = "/") { files(folder: $folder) { nodes { name kind shared } } }`;
const RENAME = `mutation ($id: ID!, $name: String!) { renameNode(id: $id, name: $name) { name } }`;
const DELETE = `mutation ($id: ID!) { deleteNode(id: $id) }`;

interface ShareData {
  id: string;
  name: string;
  md5: string;
  size: number;
  contentType: string;
  pv: number;
  createdAt: string;
  sharer: string;
  url: string;
}

const codeOf = (answer: { errors?: { extensions?: { code?: string } }[] }) =>
  answer.errors?.[0].extensions?.code;

describe.each([
  ['with Redis', true],
  ['without Redis', false],
])('public file shares %s', (_label, redis) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ redis });
  });
  afterAll(() => app.close());

  async function share(token: string, id: string): Promise<ShareData> {
    const answer = await graphql<{ shareFile: ShareData }>(app, SHARE_FILE, { id }, token);
    if (!answer.data?.shareFile) throw new Error(JSON.stringify(answer.errors));
    return answer.data.shareFile;
  }

  it('shares a file publicly: listed newest first, found by md5 and name, with sharer and public URL', async () => {
    const alice = await signUp(app);
    const first = await uploadFile(app, alice.token, 'notes.txt', 'first shared text');
    const second = await uploadFile(app, alice.token, 'report 1.txt', 'second shared text');

    const shared = await share(alice.token, first.id);
    expect(shared).toMatchObject({
      name: 'notes.txt',
      md5: first.md5,
      size: first.size,
      contentType: first.contentType,
      pv: 0,
      sharer: alice.userName,
      url: `${app.url}/s/${shared.id}/notes.txt`,
    });
    const later = await share(alice.token, second.id);
    expect(later.url).toBe(`${app.url}/s/${later.id}/report%201.txt`);

    const listed = await graphql<{ sharedFiles: { totalCount: number; shares: ShareData[] } }>(
      app,
      SHARED_FILES,
      { limit: 2 },
    );
    expect(listed.data?.sharedFiles.shares.map((s) => s.id)).toEqual([later.id, shared.id]);
    expect(listed.data?.sharedFiles.totalCount).toBeGreaterThanOrEqual(2);

    const found = await graphql<{ sharedFile: ShareData }>(app, SHARED_FILE, {
      md5: first.md5!.toUpperCase(),
      name: 'notes.txt',
    });
    expect(found.data?.sharedFile).toEqual(shared);
  });

  it('answers ALREADY_SHARED for the same file again and for anyone’s file with the same md5 and name', async () => {
    const alice = await signUp(app);
    const bob = await signUp(app);
    const mine = await uploadFile(app, alice.token, 'same.txt', 'identical bytes');
    const his = await uploadFile(app, bob.token, 'same.txt', 'identical bytes');
    await share(alice.token, mine.id);

    const again = await graphql(app, SHARE_FILE, { id: mine.id }, alice.token);
    expect(codeOf(again)).toBe('ALREADY_SHARED');
    const other = await graphql(app, SHARE_FILE, { id: his.id }, bob.token);
    expect(codeOf(other)).toBe('ALREADY_SHARED');

    const renamed = await uploadFile(app, bob.token, 'other-name.txt', 'identical bytes');
    expect((await share(bob.token, renamed.id)).name).toBe('other-name.txt');
  });

  it('refuses to share someone else’s file, a folder, or anything without a session', async () => {
    const alice = await signUp(app);
    const mallory = await signUp(app);
    const file = await uploadFile(app, alice.token, 'private.txt', 'private');

    expect(codeOf(await graphql(app, SHARE_FILE, { id: file.id }, mallory.token))).toBe('NOT_FOUND');
    expect(codeOf(await graphql(app, SHARE_FILE, { id: file.id }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await graphql(app, SHARE_FILE, { id: 'not-a-uuid' }, alice.token))).toBe('BAD_USER_INPUT');
    const folder = await graphql<{ createFolder: { id: string } }>(
      app,
      `
        mutation {
          createFolder(path: "/box") {
            id
          }
        }
      `,
      {},
      alice.token,
    );
    expect(codeOf(await graphql(app, SHARE_FILE, { id: folder.data!.createFolder.id }, alice.token))).toBe(
      'NOT_FOUND',
    );
  });

  it('cancels only the caller’s own share, and NOT_FOUND when the file is not shared', async () => {
    const alice = await signUp(app);
    const mallory = await signUp(app);
    const file = await uploadFile(app, alice.token, 'cancel-me.txt', 'cancel me');
    expect(codeOf(await graphql(app, CANCEL_SHARE, { id: file.id }, alice.token))).toBe('NOT_FOUND');

    const shared = await share(alice.token, file.id);
    expect(codeOf(await graphql(app, CANCEL_SHARE, { id: file.id }, mallory.token))).toBe('NOT_FOUND');
    expect(codeOf(await graphql(app, CANCEL_SHARE, { id: file.id }))).toBe('UNAUTHENTICATED');

    const cancelled = await graphql(app, CANCEL_SHARE, { id: file.id }, alice.token);
    expect(cancelled.data).toEqual({ cancelShare: true });
    const gone = await graphql(app, SHARED_FILE, { md5: shared.md5, name: shared.name });
    expect(codeOf(gone)).toBe('NOT_FOUND');
    expect((await share(alice.token, file.id)).id).not.toBe(shared.id);
  });

  it('saves a shared file into the caller’s folder as one more reference to the same content', async () => {
    const alice = await signUp(app);
    const bob = await signUp(app);
    const file = await uploadFile(app, alice.token, 'saved.txt', 'content worth saving');
    const shared = await share(alice.token, file.id);

    const saved = await graphql<{
      saveSharedFile: { name: string; path: string; md5: string; shared: boolean };
    }>(app, SAVE_SHARED_FILE, { shareId: shared.id, folder: '/inbox' }, bob.token);
    expect(saved.data?.saveSharedFile).toMatchObject({
      name: 'saved.txt',
      path: '/inbox/saved.txt',
      md5: file.md5,
      shared: false,
    });
    const [blob] = await app.dataSource.query<{ ref_count: number }[]>(
      `SELECT ref_count FROM blobs WHERE sha256 = $1`,
      [file.sha256],
    );
    expect(blob.ref_count).toBe(2);

    const again = await graphql(app, SAVE_SHARED_FILE, { shareId: shared.id, folder: '/inbox' }, bob.token);
    expect(codeOf(again)).toBe('ALREADY_OWNED');
    const own = await graphql(app, SAVE_SHARED_FILE, { shareId: shared.id }, alice.token);
    expect(codeOf(own)).toBe('ALREADY_OWNED');
    const toRoot = await graphql(app, SAVE_SHARED_FILE, { shareId: shared.id }, bob.token);
    expect(toRoot.data?.saveSharedFile).toMatchObject({ path: '/saved.txt' });
  });

  it('saves nothing that is not shared, and only for a signed-in caller', async () => {
    const alice = await signUp(app);
    const bob = await signUp(app);
    const file = await uploadFile(app, alice.token, 'never-shared.txt', 'never shared');
    const shared = await share(alice.token, file.id);
    await graphql(app, CANCEL_SHARE, { id: file.id }, alice.token);

    for (const shareId of [shared.id, file.id, '00000000-0000-0000-0000-000000000000', 'x', "1' OR '1'='1"]) {
      expect(codeOf(await graphql(app, SAVE_SHARED_FILE, { shareId }, bob.token))).toBe('NOT_FOUND');
    }
    const other = await share(alice.token, file.id);
    expect(codeOf(await graphql(app, SAVE_SHARED_FILE, { shareId: other.id }))).toBe('UNAUTHENTICATED');
  });

  it('records public downloads without a session, answering the new count', async () => {
    const alice = await signUp(app);
    const file = await uploadFile(app, alice.token, 'popular.txt', 'popular');
    const shared = await share(alice.token, file.id);

    const first = await graphql(app, RECORD_DOWNLOAD, { shareId: shared.id });
    expect(first.data).toEqual({ recordSharedDownload: { id: shared.id, pv: 1 } });
    const second = await graphql(app, RECORD_DOWNLOAD, { shareId: shared.id });
    expect(second.data).toEqual({ recordSharedDownload: { id: shared.id, pv: 2 } });
    for (const shareId of ['00000000-0000-0000-0000-000000000000', 'nope']) {
      expect(codeOf(await graphql(app, RECORD_DOWNLOAD, { shareId }))).toBe('NOT_FOUND');
    }
  });

  it('follows its file: a rename renames the share, a delete ends it', async () => {
    const alice = await signUp(app);
    const file = await uploadFile(app, alice.token, 'before.txt', 'renamed later');
    const shared = await share(alice.token, file.id);

    await graphql(app, RENAME, { id: file.id, name: 'after.txt' }, alice.token);
    const byNewName = await graphql<{ sharedFile: ShareData }>(app, SHARED_FILE, {
      md5: shared.md5,
      name: 'after.txt',
    });
    expect(byNewName.data?.sharedFile).toMatchObject({
      id: shared.id,
      url: `${app.url}/s/${shared.id}/after.txt`,
    });
    expect(codeOf(await graphql(app, SHARED_FILE, { md5: shared.md5, name: 'before.txt' }))).toBe(
      'NOT_FOUND',
    );

    await graphql(app, DELETE, { id: file.id }, alice.token);
    expect(codeOf(await graphql(app, SHARED_FILE, { md5: shared.md5, name: 'after.txt' }))).toBe('NOT_FOUND');
    const listed = await graphql<{ sharedFiles: { shares: ShareData[] } }>(app, SHARED_FILES, {
      limit: 1000,
    });
    expect(listed.data?.sharedFiles.shares.map((s) => s.id)).not.toContain(shared.id);
    expect(codeOf(await graphql(app, RECORD_DOWNLOAD, { shareId: shared.id }))).toBe('NOT_FOUND');
  });

  it('answers NOT_FOUND, not INTERNAL, when the file is deleted while it is being shared', async () => {
    const alice = await signUp(app);
    const file = await uploadFile(app, alice.token, 'doomed.txt', 'deleted while shared');
    const answer = await withNodeDeletedMidway(app.dataSource, [file.id], () =>
      graphql(app, SHARE_FILE, { id: file.id }, alice.token),
    );
    expect(codeOf(answer)).toBe('NOT_FOUND');
    expect(await app.dataSource.query('SELECT 1 FROM shares WHERE node_id = $1', [file.id])).toEqual([]);
  });

  it('ends a share whose rename collides with someone else’s share of the same md5 and name', async () => {
    const alice = await signUp(app);
    const bob = await signUp(app);
    const hers = await uploadFile(app, alice.token, 'taken.txt', 'colliding content');
    const his = await uploadFile(app, bob.token, 'free.txt', 'colliding content');
    await share(alice.token, hers.id);
    const bobs = await share(bob.token, his.id);

    const renamed = await graphql(app, RENAME, { id: his.id, name: 'taken.txt' }, bob.token);
    expect(renamed.data).toEqual({ renameNode: { name: 'taken.txt' } });
    expect(codeOf(await graphql(app, RECORD_DOWNLOAD, { shareId: bobs.id }))).toBe('NOT_FOUND');
    const found = await graphql<{ sharedFile: ShareData }>(app, SHARED_FILE, {
      md5: hers.md5,
      name: 'taken.txt',
    });
    expect(found.data?.sharedFile.sharer).toBe(alice.userName);
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
          [hers.id, hers.md5],
        ),
      async () => undefined,
      () => graphql(app, RENAME, { id: his.id, name: 'taken.txt' }, bob.token),
    );
    expect(renamed.errors).toBeUndefined();
    expect(renamed.data).toEqual({ renameNode: { name: 'taken.txt' } });
    expect(codeOf(await graphql(app, RECORD_DOWNLOAD, { shareId: bobs.id }))).toBe('NOT_FOUND');
  });

  it('tells on every file whether it is shared, with one query for the whole list', async () => {
    const alice = await signUp(app);
    const files = [];
    for (let i = 0; i < 6; i += 1)
      files.push(await uploadFile(app, alice.token, `f${i}.txt`, `flag ${i}`, '/flags'));
    await share(alice.token, files[1].id);
    await share(alice.token, files[4].id);

    const query = jest.spyOn(app.dataSource.manager, 'query');
    try {
      const listed = await graphql<{ files: { nodes: { name: string; shared: boolean }[] } }>(
        app,
        FILES,
        { folder: '/flags' },
        alice.token,
      );
      expect(listed.errors).toBeUndefined();
      const flags = Object.fromEntries(listed.data!.files.nodes.map((node) => [node.name, node.shared]));
      expect(flags).toEqual({
        'f0.txt': false,
        'f1.txt': true,
        'f2.txt': false,
        'f3.txt': false,
        'f4.txt': true,
        'f5.txt': false,
      });
      const lookups = query.mock.calls.filter(([sql]) => String(sql).includes('FROM shares WHERE node_id'));
      expect(lookups).toHaveLength(1);
    } finally {
      query.mockRestore();
    }
  });

  it('validates paging: offset >= 0 and limit 1..1000', async () => {
    for (const variables of [{ offset: -1 }, { limit: 0 }, { limit: 1001 }]) {
      expect(codeOf(await graphql(app, SHARED_FILES, variables))).toBe('BAD_USER_INPUT');
    }
    expect(codeOf(await graphql(app, SHARED_FILE, { md5: 'zz', name: 'a' }))).toBe('BAD_USER_INPUT');
  });
});
