import { createHash } from 'node:crypto';
import { md5, signUp, type TestUser } from '../helpers/accounts';
import { graphql, postJson, type GraphQLResponse } from '../helpers/http';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { NODE_FIELDS, uploadFile, type UploadedNode } from '../helpers/uploads';

const FIND_FILE = `query ($md5: String!, $name: String!) { findFile(md5: $md5, name: $name) { id } }`;
const SHARED_FILE = `query ($md5: String!, $name: String!) { sharedFile(md5: $md5, name: $name) { id } }`;
const LOGIN = `mutation ($userName: String!) { login(input: { userName: $userName, password: "pw" }) { token } }`;
const CREATE_FOLDER = `mutation ($path: String!) { createFolder(path: $path) { ${NODE_FIELDS} } }`;
const RENAME = `mutation ($id: ID!, $name: String!) { renameNode(id: $id, name: $name) { ${NODE_FIELDS} } }`;
const MOVE = `mutation ($id: ID!, $folder: String!) { moveNode(id: $id, folder: $folder) { ${NODE_FIELDS} } }`;
const DELETE = `mutation ($id: ID!) { deleteNode(id: $id) }`;
const REGISTER = `mutation ($userName: String!) {
  register(input: { userName: $userName, nickName: "n", password: "pw" }) { id }
}`;

const codeOf = (answer: GraphQLResponse<unknown>) => answer.errors?.[0]?.extensions?.code ?? 'OK';
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
    ['findFile', FIND_FILE, { md5: md5('x'), name: 'a\u0000b' }],
    ['sharedFile', SHARED_FILE, { md5: md5('x'), name: 'a\u0000b' }],
    ['login', LOGIN, { userName: 'al\u0000ice' }],
  ])('answers BAD_USER_INPUT to a NUL in %s’s variables', async (_field, query, variables) => {
    const answer = await graphql(app, query, variables, alice.token);
    expect({ status: answer.status, code: codeOf(answer) }).toEqual({ status: 400, code: 'BAD_USER_INPUT' });
  });

  it('answers BAD_USER_INPUT to a NUL written into the document itself', async () => {
    const answer = await graphql(
      app,
      `{ findFile(md5: "${md5('x')}", name: "a\\u0000b") { id } }`,
      {},
      alice.token,
    );
    expect(codeOf(answer)).toBe('BAD_USER_INPUT');
  });

  it('answers spec 001’s code 1 to a NUL in dealsharefile?cmd=pv’s filename', async () => {
    const answer = await postJson(app, '/api/dealsharefile?cmd=pv', { md5: md5('x'), filename: 'a\u0000b' });
    expect(answer).toMatchObject({ status: 200, body: { code: 1 } });
  });

  it('refuses a folder path longer than 2048 bytes, counted in bytes: 976 CJK characters', async () => {
    const folder = `/${'文'.repeat(244)}/${'件'.repeat(244)}/${'夹'.repeat(244)}/${'名'.repeat(244)}`;
    expect(folder.length).toBeLessThan(4096);
    expect(codeOf(await graphql(app, CREATE_FOLDER, { path: folder }, alice.token))).toBe('BAD_USER_INPUT');
    expect(codeOf(await uploadFile(app, alice.token, 'x', { folder, name: 'a.txt' }))).toBe('BAD_USER_INPUT');
    expect(await paths(alice)).toEqual([]);
  });

  it('refuses a name longer than 255 bytes, such as 86 CJK characters', async () => {
    expect(codeOf(await uploadFile(app, alice.token, 'x', { name: '名'.repeat(86) }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await uploadFile(app, alice.token, 'x', { name: '名'.repeat(85) }))).toBe('OK');
  });

  it.each([
    ['a 253-character name with a long extension', `a.${'b'.repeat(251)}`],
    ['a 255-byte name', `${'x'.repeat(251)}.png`],
    ['85 CJK characters', `${'图'.repeat(83)}.p`],
  ])('numbers %s within 255 bytes when the name is taken', async (_label, name) => {
    const first = await uploadFile(app, alice.token, 'first', { name });
    const second = await uploadFile(app, alice.token, 'second', { name });
    const third = await uploadFile(app, alice.token, 'third', { name });
    const names = [first, second, third].map((answer) => answer.data!.uploadFile.name);
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
    const top = await graphql<{ createFolder: UploadedNode }>(
      app,
      CREATE_FOLDER,
      { path: '/top' },
      alice.token,
    );
    const before = await paths(alice);

    const moved = await graphql(
      app,
      MOVE,
      { id: top.data!.createFolder.id, folder: `/${'m'.repeat(250)}` },
      alice.token,
    );
    expect(codeOf(moved)).toBe('BAD_USER_INPUT');
    const renamed = await graphql(
      app,
      RENAME,
      { id: top.data!.createFolder.id, name: 'n'.repeat(255) },
      alice.token,
    );
    expect(codeOf(renamed)).toBe('BAD_USER_INPUT');
    expect(await paths(alice)).toEqual(before);

    const shorter = await graphql(app, RENAME, { id: top.data!.createFolder.id, name: 't' }, alice.token);
    expect(codeOf(shorter)).toBe('OK');
  });

  it.each([
    ['a right-to-left override', 'invoice\u202Egpj.exe'],
    ['a left-to-right mark', 'a\u200Eb.txt'],
    ['an isolate', 'a\u2066b\u2069.txt'],
  ])('refuses %s in file, folder and user names', async (_label, name) => {
    expect(codeOf(await uploadFile(app, alice.token, 'x', { name }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await graphql(app, CREATE_FOLDER, { path: `/${name}` }, alice.token))).toBe(
      'BAD_USER_INPUT',
    );
    const file = await uploadFile(app, alice.token, 'x', { name: 'plain.txt' });
    expect(codeOf(await graphql(app, RENAME, { id: file.data!.uploadFile.id, name }, alice.token))).toBe(
      'BAD_USER_INPUT',
    );
    expect(codeOf(await graphql(app, REGISTER, { userName: name.slice(0, 12) }))).toBe('BAD_USER_INPUT');
    expect(
      (await postJson(app, '/api/reg', { userName: name.slice(0, 12), nickName: 'n', firstPwd: md5('pw') }))
        .body,
    ).toEqual({ code: 1 });
  });

  it('renames and deletes a folder named with characters outside the BMP, with all it holds', async () => {
    await uploadFile(app, alice.token, 'x', { folder: '/📷 photos/🐱', name: 'cat.png' });
    const folder = await graphql<{ createFolder: UploadedNode }>(
      app,
      CREATE_FOLDER,
      { path: '/📷 photos' },
      alice.token,
    );
    const id = folder.data!.createFolder.id;
    await graphql(app, RENAME, { id, name: '🎞 films' }, alice.token);
    expect(await paths(alice)).toEqual(['/🎞 films', '/🎞 films/🐱', '/🎞 films/🐱/cat.png']);
    expect((await graphql(app, DELETE, { id }, alice.token)).data).toEqual({ deleteNode: true });
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
