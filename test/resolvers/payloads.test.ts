import { randomBytes } from 'node:crypto';
import { md5, signUp, type TestUser } from '../helpers/accounts';
import { uploadFile } from '../helpers/files';
import { graphql, postJson } from '../helpers/http';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { uploadFile as sendUpload } from '../helpers/uploads';

const USER_ERRORS = 'userErrors { code field message }';
const RENAME = `mutation ($input: RenameItemInput!) { renameItem(input: $input) { item { id name } ${USER_ERRORS} } }`;
const DELETE = `mutation ($ids: [ID!]!) {
  deleteItems(input: { ids: $ids }) { deletedIds results { id deleted ${USER_ERRORS} } ${USER_ERRORS} }
}`;
const MOVE = `mutation ($ids: [ID!]!, $folder: String!) {
  moveItems(input: { ids: $ids, folder: $folder }) {
    items { id path } results { id item { path } ${USER_ERRORS} } ${USER_ERRORS}
  }
}`;
const REGISTER = `mutation ($input: RegisterInput!) { register(input: $input) { user { userName } ${USER_ERRORS} } }`;

type UserErrors = { code: string; field: string[] | null; message: string }[];

describe('mutation payloads', () => {
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    app = await startTestApp();
    bob = await signUp(app);
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    alice = await signUp(app);
  });

  const paths = async (user: TestUser) =>
    (
      await app.dataSource.query<{ path: string }[]>(
        `SELECT n.dir || n.name AS path FROM nodes n JOIN users u ON u.id = n.owner_id
          WHERE u.user_name = $1 AND n.kind = 'file' ORDER BY 1`,
        [user.userName],
      )
    ).map((row) => row.path);

  it('answers what the user can fix as userErrors, with the field at fault, and the object null', async () => {
    const file = await uploadFile(app, alice.token, 'a.txt', 'a');
    await uploadFile(app, alice.token, 'b.txt', 'b');
    const invalid = await graphql<{ renameItem: { item: unknown; userErrors: UserErrors } }>(
      app,
      RENAME,
      { input: { id: file.id, name: 'a/b' } },
      alice.token,
    );
    expect(invalid.errors).toBeUndefined();
    expect(invalid.data!.renameItem).toEqual({
      item: null,
      userErrors: [
        { code: 'BAD_USER_INPUT', field: ['input', 'name'], message: expect.stringMatching(/"\/"/) },
      ],
    });
    const taken = await graphql<{ renameItem: { userErrors: UserErrors } }>(
      app,
      RENAME,
      { input: { id: file.id, name: 'b.txt' } },
      alice.token,
    );
    expect(taken.data!.renameItem.userErrors).toEqual([
      { code: 'NAME_TAKEN', field: ['input', 'name'], message: expect.any(String) },
    ]);
    const notAnId = await graphql<{ renameItem: { userErrors: UserErrors } }>(
      app,
      RENAME,
      { input: { id: 'junk', name: 'c.txt' } },
      alice.token,
    );
    expect(notAnId.data!.renameItem.userErrors).toMatchObject([
      { code: 'BAD_USER_INPUT', field: ['input', 'id'] },
    ]);
    expect(await paths(alice)).toEqual(['/a.txt', '/b.txt']);
  });

  it('types user error codes by ErrorCode, an enum in the schema', async () => {
    const answer = await graphql<{ __type: { kind: string; enumValues: { name: string }[] } }>(
      app,
      '{ __type(name: "ErrorCode") { kind enumValues { name } } }',
    );
    expect(answer.data!.__type.kind).toBe('ENUM');
    expect(answer.data!.__type.enumValues.map((value) => value.name)).toEqual(
      expect.arrayContaining(['NAME_TAKEN', 'ALREADY_SHARED', 'QUOTA_EXCEEDED', 'QUERY_TOO_COMPLEX']),
    );
    const field = await graphql<{
      __type: { fields: { name: string; type: { ofType: { name: string } } }[] };
    }>(app, '{ __type(name: "UserError") { fields { name type { ofType { name } } } } }');
    expect(field.data!.__type.fields.find((entry) => entry.name === 'code')?.type.ofType.name).toBe(
      'ErrorCode',
    );
  });

  it('reports account conflicts on the field at fault', async () => {
    const taken = await graphql<{ register: { user: unknown; userErrors: UserErrors } }>(app, REGISTER, {
      input: { userName: bob.userName.toUpperCase(), nickName: 'x', password: 'pw' },
    });
    expect(taken.data!.register).toEqual({
      user: null,
      userErrors: [{ code: 'USER_EXISTS', field: ['input', 'userName'], message: expect.any(String) }],
    });
    const invalid = await graphql<{ register: { userErrors: UserErrors } }>(app, REGISTER, {
      input: {
        userName: `new${randomBytes(3).toString('hex')}`,
        nickName: '',
        password: 'pw',
        email: 'nope',
      },
    });
    expect(invalid.data!.register.userErrors.map((error) => error.field)).toEqual(
      expect.arrayContaining([
        ['input', 'nickName'],
        ['input', 'email'],
      ]),
    );
  });

  it('keeps signing in, limits and faults top-level', async () => {
    const signedOut = await graphql(app, RENAME, { input: { id: 'x', name: 'y' } });
    expect(signedOut.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(signedOut.data).toBeNull();
    const wrong = await graphql<{ login: { token: string | null; userErrors: UserErrors } }>(
      app,
      `mutation ($input: LoginInput!) { login(input: $input) { token ${USER_ERRORS} } }`,
      { input: { userName: alice.userName, passwordMd5: md5('wrong') } },
    );
    expect(wrong.data!.login).toEqual({
      token: null,
      userErrors: [{ code: 'UNAUTHENTICATED', field: ['input', 'password'], message: expect.any(String) }],
    });
  });

  it('deletes a batch item by item, telling each id what became of it', async () => {
    const one = await uploadFile(app, alice.token, 'one.txt', '1');
    const two = await uploadFile(app, alice.token, 'two.txt', '2', '/f');
    const bobs = await uploadFile(app, bob.token, 'bobs.txt', 'b');
    const answer = await graphql<{
      deleteItems: {
        deletedIds: string[];
        results: { id: string; deleted: boolean; userErrors: UserErrors }[];
      };
    }>(app, DELETE, { ids: [one.id, bobs.id, 'junk', two.id] }, alice.token);
    expect(answer.data!.deleteItems.deletedIds).toEqual([one.id, two.id]);
    expect(answer.data!.deleteItems.results).toEqual([
      { id: one.id, deleted: true, userErrors: [] },
      {
        id: bobs.id,
        deleted: false,
        userErrors: [{ code: 'NOT_FOUND', field: ['input', 'ids', '1'], message: expect.any(String) }],
      },
      {
        id: 'junk',
        deleted: false,
        userErrors: [{ code: 'BAD_USER_INPUT', field: ['input', 'ids', '2'], message: expect.any(String) }],
      },
      { id: two.id, deleted: true, userErrors: [] },
    ]);
    expect(await paths(alice)).toEqual([]);
    expect(await paths(bob)).toContain('/bobs.txt');
  });

  it('moves a batch item by item: one that meets a taken name stays, the others move', async () => {
    const one = await uploadFile(app, alice.token, 'one.txt', '1');
    const two = await uploadFile(app, alice.token, 'two.txt', '2');
    await uploadFile(app, alice.token, 'two.txt', 'other', '/dest');
    const answer = await graphql<{
      moveItems: {
        items: { path: string }[];
        results: { id: string; item: unknown; userErrors: UserErrors }[];
      };
    }>(app, MOVE, { ids: [one.id, two.id], folder: '/dest' }, alice.token);
    expect(answer.data!.moveItems.items.map((item) => item.path)).toEqual(['/dest/one.txt']);
    expect(answer.data!.moveItems.results).toEqual([
      { id: one.id, item: { path: '/dest/one.txt' }, userErrors: [] },
      {
        id: two.id,
        item: null,
        userErrors: [{ code: 'NAME_TAKEN', field: ['input', 'ids', '1'], message: expect.any(String) }],
      },
    ]);
    expect(await paths(alice)).toEqual(['/dest/one.txt', '/dest/two.txt', '/two.txt']);
  });

  it('refuses a batch of more than 100 ids as a whole', async () => {
    const ids = Array.from({ length: 101 }, (_, index) => `id${index}`);
    const answer = await graphql<{ deleteItems: { deletedIds: string[]; userErrors: UserErrors } }>(
      app,
      DELETE,
      { ids },
      alice.token,
    );
    expect(answer.data!.deleteItems).toMatchObject({
      deletedIds: [],
      userErrors: [{ code: 'BAD_USER_INPUT', field: ['input', 'ids'] }],
    });
  });

  it('reports an upload whose bytes lie as the upload’s user error, and keeps nothing', async () => {
    const lying = await sendUpload(app, alice.token, 'abc', { md5: md5('other'), name: 'lie.txt' });
    expect(lying.data!.uploadFile).toMatchObject({
      file: null,
      userErrors: [{ code: 'CONTENT_MISMATCH', field: ['input', 'file'] }],
    });
    const kept = await postJson(app, '/api/myfiles?cmd=count', {
      token: alice.token,
      user: alice.userName,
    });
    expect(kept.body).toEqual({ code: 0, total: 0 });
  });
});
