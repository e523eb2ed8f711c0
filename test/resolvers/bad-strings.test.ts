import { createHash } from 'node:crypto';
import { md5, signUp, type TestUser } from '../helpers/accounts';
import { graphql, postJson, type GraphQLResponse } from '../helpers/http';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { uploadCode, uploadFile, type UploadAnswer, type UserError } from '../helpers/uploads';

const USER_ERRORS = 'userErrors { code field message }';
const ITEM_FIELDS = 'id name path folderPath';
const FILE_BY_CONTENT = `query ($md5: String!, $name: String!) { fileByContent(md5: $md5, name: $name) { id } }`;
const SHARE_BY_CONTENT = `query ($md5: String!, $name: String!) { shareByContent(md5: $md5, name: $name) { id } }`;
const LOGIN = `mutation ($userName: String!) {
  login(input: { userName: $userName, password: "pw" }) { token ${USER_ERRORS} }
}`;
const CREATE_FOLDER = `mutation ($path: String!) {
  createFolder(input: { path: $path }) { folder { ${ITEM_FIELDS} } ${USER_ERRORS} }
}`;
const RENAME = `mutation ($id: ID!, $name: String!) {
  renameItem(input: { id: $id, name: $name }) { item { ${ITEM_FIELDS} } ${USER_ERRORS} }
}`;
const MOVE = `mutation ($id: ID!, $folder: String!) {
  moveItems(input: { ids: [$id], folder: $folder }) {
    items { ${ITEM_FIELDS} } results { id item { id } ${USER_ERRORS} } ${USER_ERRORS}
  }
}`;
const DELETE = `mutation ($id: ID!) { deleteItems(input: { ids: [$id] }) { deletedIds ${USER_ERRORS} } }`;
const REGISTER = `mutation ($userName: String!) {
  register(input: { userName: $userName, nickName: "n", password: "pw" }) { user { id } ${USER_ERRORS} }
}`;

interface Item {
  id: string;
  name: string;
  path: string;
  folderPath: string;
}
type CreateFolderAnswer = GraphQLResponse<{ createFolder: { folder: Item | null; userErrors: UserError[] } }>;
type RenameAnswer = GraphQLResponse<{ renameItem: { item: Item | null; userErrors: UserError[] } }>;
type RegisterAnswer = GraphQLResponse<{ register: { user: { id: string } | null; userErrors: UserError[] } }>;

/** A top-level error's code (refused before execution). */
const codeOf = (answer: GraphQLResponse<unknown>) => answer.errors?.[0]?.extensions?.code ?? 'OK';

/**
 * That `answer` is a mutation's refusal as user errors: no top-level error, the payload's object null,
 * and one user error of `code` on `field` (or several, all alike: one per rule the value breaks).
 */
function expectUserError(
  answer: GraphQLResponse<Record<string, Record<string, unknown>>>,
  mutation: string,
  object: string,
  code: string,
  field: string[] | null,
) {
  expect(answer.errors).toBeUndefined();
  const payload = answer.data![mutation];
  expect(payload[object]).toBeNull();
  const userErrors = payload.userErrors as UserError[];
  expect(userErrors.length).toBeGreaterThan(0);
  expect(userErrors).toEqual(userErrors.map(() => ({ code, field, message: expect.any(String) })));
}

const expectUploadError = (answer: UploadAnswer, field: string[]) => {
  expect(uploadCode(answer)).toBe('BAD_USER_INPUT');
  expectUserError(answer, 'uploadFile', 'file', 'BAD_USER_INPUT', field);
};
const bytesOf = (text: string) => Buffer.byteLength(text);

describe('bad strings are the client’s mistake, never a server error', () => {
  let app: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    alice = await signUp(app);
  });

  const paths = async (user: TestUser) =>
    (
      await app.dataSource.query<{ path: string }[]>(
        `SELECT n.dir || n.name AS path FROM nodes n JOIN users u ON u.id = n.owner_id
          WHERE u.user_name = $1 ORDER BY 1`,
        [user.userName],
      )
    ).map((row) => row.path);

  it.each([
    ['fileByContent', FILE_BY_CONTENT, { md5: md5('x'), name: 'a\u0000b' }],
    ['shareByContent', SHARE_BY_CONTENT, { md5: md5('x'), name: 'a\u0000b' }],
    ['login', LOGIN, { userName: 'al\u0000ice' }],
  ])('answers BAD_USER_INPUT to a NUL in %s’s variables', async (_field, query, variables) => {
    // Refused before execution, mutation or not: a top-level error and no data.
    const answer = await graphql(app, query, variables, alice.token);
    expect({ status: answer.status, code: codeOf(answer) }).toEqual({ status: 400, code: 'BAD_USER_INPUT' });
    expect(answer.data ?? null).toBeNull();
  });

  it('answers BAD_USER_INPUT to a NUL written into the document itself', async () => {
    const answer = await graphql(
      app,
      `{ fileByContent(md5: "${md5('x')}", name: "a\\u0000b") { id } }`,
      {},
      alice.token,
    );
    expect(codeOf(answer)).toBe('BAD_USER_INPUT');
    expect(answer.data ?? null).toBeNull();
  });

  it('answers spec 001’s code 1 to a NUL in dealsharefile?cmd=pv’s filename', async () => {
    const answer = await postJson(app, '/api/dealsharefile?cmd=pv', { md5: md5('x'), filename: 'a\u0000b' });
    expect(answer).toMatchObject({ status: 200, body: { code: 1 } });
  });

  it('refuses a folder path longer than 2048 bytes, counted in bytes: 976 CJK characters', async () => {
    const folder = `/${'文'.repeat(244)}/${'件'.repeat(244)}/${'夹'.repeat(244)}/${'名'.repeat(244)}`;
    expect(folder.length).toBeLessThan(4096);
    const created: CreateFolderAnswer = await graphql(app, CREATE_FOLDER, { path: folder }, alice.token);
    expectUserError(created, 'createFolder', 'folder', 'BAD_USER_INPUT', ['input', 'path']);
    expectUploadError(await uploadFile(app, alice.token, 'x', { folder, name: 'a.txt' }), [
      'input',
      'folder',
    ]);
    expect(await paths(alice)).toEqual([]);
  });

  it('refuses a name longer than 255 bytes, such as 86 CJK characters', async () => {
    expectUploadError(await uploadFile(app, alice.token, 'x', { name: '名'.repeat(86) }), ['input', 'name']);
    expect(uploadCode(await uploadFile(app, alice.token, 'x', { name: '名'.repeat(85) }))).toBe('OK');
  });

  it.each([
    ['a 253-character name with a long extension', `a.${'b'.repeat(251)}`],
    ['a 255-byte name', `${'x'.repeat(251)}.png`],
    ['85 CJK characters', `${'图'.repeat(83)}.p`],
  ])('numbers %s within 255 bytes when the name is taken', async (_label, name) => {
    const first = await uploadFile(app, alice.token, 'first', { name });
    const second = await uploadFile(app, alice.token, 'second', { name });
    const third = await uploadFile(app, alice.token, 'third', { name });
    const names = [first, second, third].map((answer) => answer.data!.uploadFile.file!.name);
    expect(names[0]).toBe(name);
    expect(new Set(names).size).toBe(3);
    for (const numbered of names.slice(1)) {
      expect(bytesOf(numbered)).toBeLessThanOrEqual(255);
      expect(numbered).toMatch(/ \([12]\)/);
      expect(Buffer.from(numbered).toString()).toBe(numbered);
    }
  });

  it('refuses a move or rename that would push a path inside the folder past the limit, changing nothing', async () => {
    // Eight folders of 250 bytes under /top: the leaf's folder path is 2 013 bytes long.
    const deep = 'defghijk'
      .split('')
      .map((letter) => `/${letter.repeat(250)}`)
      .join('');
    await uploadFile(app, alice.token, 'deep', { folder: `/top${deep}`, name: 'leaf.txt' });
    const top: CreateFolderAnswer = await graphql(app, CREATE_FOLDER, { path: '/top' }, alice.token);
    const id = top.data!.createFolder.folder!.id;
    const before = await paths(alice);

    // Each item of a move succeeds or fails on its own: this one fails, on its id.
    const moved = await graphql<{
      moveItems: {
        items: Item[];
        results: { id: string; item: Item | null; userErrors: UserError[] }[];
        userErrors: UserError[];
      };
    }>(app, MOVE, { id, folder: `/${'m'.repeat(250)}` }, alice.token);
    expect(moved.errors).toBeUndefined();
    expect(moved.data!.moveItems).toEqual({
      items: [],
      results: [
        {
          id,
          item: null,
          userErrors: [{ code: 'BAD_USER_INPUT', field: ['input', 'ids', '0'], message: expect.any(String) }],
        },
      ],
      userErrors: [],
    });
    const renamed: RenameAnswer = await graphql(app, RENAME, { id, name: 'n'.repeat(255) }, alice.token);
    expect(renamed.errors).toBeUndefined();
    expect(renamed.data!.renameItem.item).toBeNull();
    expect(renamed.data!.renameItem.userErrors.map((error) => error.code)).toEqual(['BAD_USER_INPUT']);
    expect(await paths(alice)).toEqual(before);

    const shorter: RenameAnswer = await graphql(app, RENAME, { id, name: 't' }, alice.token);
    expect(shorter.errors).toBeUndefined();
    expect(shorter.data!.renameItem).toMatchObject({ item: { id, path: '/t' }, userErrors: [] });
  });

  it.each([
    ['a right-to-left override', 'invoice\u202Egpj.exe'],
    ['a left-to-right mark', 'a\u200Eb.txt'],
    ['an isolate', 'a\u2066b\u2069.txt'],
  ])('refuses %s in file, folder and user names', async (_label, name) => {
    expectUploadError(await uploadFile(app, alice.token, 'x', { name }), ['input', 'name']);
    const created: CreateFolderAnswer = await graphql(app, CREATE_FOLDER, { path: `/${name}` }, alice.token);
    expectUserError(created, 'createFolder', 'folder', 'BAD_USER_INPUT', ['input', 'path']);
    const file = await uploadFile(app, alice.token, 'x', { name: 'plain.txt' });
    const renamed: RenameAnswer = await graphql(
      app,
      RENAME,
      { id: file.data!.uploadFile.file!.id, name },
      alice.token,
    );
    expectUserError(renamed, 'renameItem', 'item', 'BAD_USER_INPUT', ['input', 'name']);
    const registered: RegisterAnswer = await graphql(app, REGISTER, { userName: name.slice(0, 12) });
    expectUserError(registered, 'register', 'user', 'BAD_USER_INPUT', ['input', 'userName']);
    expect(await paths(alice)).toEqual(['/plain.txt']);
    expect(
      (await postJson(app, '/api/reg', { userName: name.slice(0, 12), nickName: 'n', firstPwd: md5('pw') }))
        .body,
    ).toEqual({ code: 1 });
  });

  it('renames and deletes a folder named with characters outside the BMP, with all it holds', async () => {
    await uploadFile(app, alice.token, 'x', { folder: '/📷 photos/🐱', name: 'cat.png' });
    const folder: CreateFolderAnswer = await graphql(app, CREATE_FOLDER, { path: '/📷 photos' }, alice.token);
    const id = folder.data!.createFolder.folder!.id;
    const renamed: RenameAnswer = await graphql(app, RENAME, { id, name: '🎞 films' }, alice.token);
    expect(renamed.data!.renameItem).toEqual({
      item: { id, name: '🎞 films', path: '/🎞 films', folderPath: '/' },
      userErrors: [],
    });
    expect(await paths(alice)).toEqual(['/🎞 films', '/🎞 films/🐱', '/🎞 films/🐱/cat.png']);
    expect((await graphql(app, DELETE, { id }, alice.token)).data).toEqual({
      deleteItems: { deletedIds: [id], userErrors: [] },
    });
    expect(await paths(alice)).toEqual([]);
  });

  it('answers a persisted-query hash that does not match with a client error, not INTERNAL', async () => {
    const query = '{ __typename }';
    const wrongHash = createHash('sha256').update('something else').digest('hex');
    const answer = await postJson(app, '/graphql', {
      query,
      extensions: { persistedQuery: { version: 1, sha256Hash: wrongHash } },
    });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.body).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] });
  });
});
