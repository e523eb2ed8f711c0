import { createHash, randomBytes } from 'node:crypto';
import { fromGlobalId, IdType, toGlobalId } from '../../src/schema/global-id';
import { md5, signUp, type TestUser } from '../helpers/accounts';
import { graphql, postJson, type GraphQLResponse } from '../helpers/http';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { uploadCode, uploadFile, type UserError } from '../helpers/uploads';

const USER_ERRORS = 'userErrors { code field message }';
const API_TOKEN_FIELDS = 'id name scope createdAt expiresAt lastUsedAt';
const CREATE = `mutation ($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token apiToken { ${API_TOKEN_FIELDS} } ${USER_ERRORS} }
}`;
const ISSUE = `mutation ($input: IssueApiTokenInput!) {
  issueApiToken(input: $input) { token apiToken { ${API_TOKEN_FIELDS} } ${USER_ERRORS} }
}`;
const REVOKE = `mutation ($id: ID!) { revokeApiToken(input: { id: $id }) { deletedIds ${USER_ERRORS} } }`;
const REVOKE_SESSION = `mutation ($id: ID!) { revokeSession(input: { id: $id }) { deletedIds ${USER_ERRORS} } }`;
const LIST = `{ viewer { apiTokens { totalCount nodes { ${API_TOKEN_FIELDS} } } sessions { nodes { id current } } } }`;
const VIEWER = '{ viewer { userName } }';
const FILES = '{ files { nodes { id name } } }';

interface ApiToken {
  id: string;
  name: string;
  scope: 'UPLOAD' | 'FULL';
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}
interface NewToken {
  token: string | null;
  apiToken: ApiToken | null;
  userErrors: UserError[];
}
interface Listed {
  viewer: {
    apiTokens: { totalCount: number; nodes: ApiToken[] };
    sessions: { nodes: { id: string; current: boolean }[] };
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const API_TOKEN_SHAPE = /^pv_[0-9A-Za-z]{40}$/;
/** A top-level error's code, else the first user error's, else 'OK'. */
const codeOf = (answer: GraphQLResponse) => {
  const payload = Object.values(answer.data ?? {})[0] as { userErrors?: UserError[] } | null | undefined;
  return answer.errors?.[0]?.extensions?.code ?? payload?.userErrors?.[0]?.code ?? 'OK';
};

describe.each([
  ['with Redis', true],
  ['without Redis', false],
])('API tokens %s', (_label, redis) => {
  let app: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    app = await startTestApp({ redis });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    alice = await signUp(app);
  });

  const create = async (owner: string, input: Record<string, unknown>) =>
    (await graphql<{ createApiToken: NewToken }>(app, CREATE, { input }, owner)).data!.createApiToken;
  /** A new token of `owner`'s (a session or FULL token), and its global id. */
  const tokenOf = async (
    owner: string,
    scope: 'UPLOAD' | 'FULL',
    name = `t-${randomBytes(3).toString('hex')}`,
  ) => {
    const made = await create(owner, { name, scope });
    expect(made.userErrors).toEqual([]);
    return { token: made.token!, id: made.apiToken!.id };
  };
  const listOf = async (token: string) => (await graphql<Listed>(app, LIST, {}, token)).data!.viewer;
  const viewerCode = async (token: string) => codeOf(await graphql(app, VIEWER, {}, token));

  it('shows a new token once, stores only its sha256, and lists it apart from the sessions', async () => {
    const made = await create(alice.token, { name: 'PicGo', scope: 'UPLOAD' });
    expect(made).toEqual({
      token: expect.stringMatching(API_TOKEN_SHAPE),
      apiToken: {
        id: expect.any(String),
        name: 'PicGo',
        scope: 'UPLOAD',
        createdAt: expect.any(String),
        expiresAt: null,
        lastUsedAt: null,
      },
      userErrors: [],
    });
    const token = made.token!;

    const rows = await app.dataSource.query<{ row: string; token_hash: string; scope: string }[]>(
      `SELECT t::text AS row, token_hash, scope FROM api_tokens t WHERE id = $1`,
      [fromGlobalId(made.apiToken!.id)!.localId],
    );
    expect(rows).toEqual([{ row: expect.any(String), token_hash: sha256(token), scope: 'upload' }]);
    expect(rows[0].row).not.toContain(token.slice(3));

    const listed = await listOf(alice.token);
    expect(listed.apiTokens).toEqual({ totalCount: 1, nodes: [made.apiToken] });
    expect(listed.sessions.nodes).toEqual([{ id: expect.any(String), current: true }]);
    expect(JSON.stringify(listed)).not.toContain(token);

    const found = await graphql(
      app,
      `
        query ($id: ID!) {
          node(id: $id) {
            id
            ... on ApiToken {
              name
              scope
            }
          }
        }
      `,
      { id: made.apiToken!.id },
      alice.token,
    );
    expect(found.data).toEqual({ node: { id: made.apiToken!.id, name: 'PicGo', scope: 'UPLOAD' } });
  });

  it('records when a token was last used, with at most one write a minute', async () => {
    const { token, id } = await tokenOf(alice.token, 'FULL');
    const lastUsed = async () =>
      (
        await app.dataSource.query<{ last_used_at: Date | null }[]>(
          `SELECT last_used_at FROM api_tokens WHERE id = $1`,
          [fromGlobalId(id)!.localId],
        )
      )[0].last_used_at;
    expect(await lastUsed()).toBeNull();
    expect(await viewerCode(token)).toBe('OK');
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);
    expect(await viewerCode(token)).toBe('OK');
    expect(await lastUsed()).toEqual(first);
    const listed = await listOf(alice.token);
    expect(listed.apiTokens.nodes[0].lastUsedAt).toBe(first!.toISOString());
  });

  it('lets a FULL token do what a session does, in GraphQL and through a door, but not log out', async () => {
    const { token } = await tokenOf(alice.token, 'FULL');
    expect((await graphql(app, VIEWER, {}, token)).data).toEqual({ viewer: { userName: alice.userName } });
    const folder = await graphql(
      app,
      `mutation { createFolder(input: { path: "/from-token" }) { folder { path } ${USER_ERRORS} } }`,
      {},
      token,
    );
    expect(folder.data).toEqual({ createFolder: { folder: { path: '/from-token' }, userErrors: [] } });
    const another = await create(token, { name: 'made by a token', scope: 'UPLOAD' });
    expect(another.token).toMatch(API_TOKEN_SHAPE);
    // A token is no session: none of the sessions is its own.
    const listed = await listOf(token);
    expect(listed.apiTokens.totalCount).toBe(2);
    expect(listed.sessions.nodes.filter((session) => session.current)).toEqual([]);
    const logout = await graphql(app, `mutation { logout { deletedIds ${USER_ERRORS} } }`, {}, token);
    expect(logout.data).toEqual({
      logout: {
        deletedIds: [],
        userErrors: [{ code: 'FORBIDDEN', field: null, message: expect.any(String) }],
      },
    });
    expect(await viewerCode(token)).toBe('OK');
    expect((await postJson(app, '/api/myfiles?cmd=count', { token, user: alice.userName })).body).toEqual({
      code: 0,
      total: 0,
    });
  });

  it('lets an UPLOAD token upload, and treats it as signed out for everything else', async () => {
    const { token } = await tokenOf(alice.token, 'UPLOAD');
    const uploaded = await uploadFile(app, token, 'pixels', { filename: 'cat.png', folder: '/uploads' });
    expect(uploaded.data?.uploadFile.userErrors).toEqual([]);
    const file = uploaded.data!.uploadFile.file!;
    expect(file).toMatchObject({ name: 'cat.png', path: '/uploads/cat.png' });
    // The bare form of the header counts as well.
    const bare = await uploadFile(app, null, 'more pixels', {
      filename: 'dog.png',
      headers: { 'apollo-require-preflight': 'true', authorization: token },
    });
    expect(uploadCode(bare)).toBe('OK');
    const owned = await graphql<{ files: { nodes: { name: string }[] } }>(
      app,
      '{ files(recursive: true) { nodes { name } } }',
      {},
      alice.token,
    );
    expect(owned.data!.files.nodes.map((item) => item.name).sort()).toEqual(['cat.png', 'dog.png']);

    // Replacing a file would delete one the token may not have uploaded.
    const replacing = await uploadFile(app, token, 'other', {
      filename: 'cat.png',
      folder: '/uploads',
      onConflict: 'REPLACE',
    });
    expect(replacing.data?.uploadFile).toEqual({
      file: null,
      userErrors: [{ code: 'FORBIDDEN', field: ['input', 'onConflict'], message: expect.any(String) }],
    });

    const refused: [string, string, Record<string, unknown>][] = [
      ['viewer', VIEWER, {}],
      ['files', FILES, {}],
      ['item', '{ item(path: "/uploads/cat.png") { id } }', {}],
      [
        'deleteItems',
        `mutation ($ids: [ID!]!) { deleteItems(input: { ids: $ids }) { deletedIds } }`,
        { ids: [file.id] },
      ],
      ['createApiToken', CREATE, { input: { name: 'escalate', scope: 'FULL' } }],
      [
        'revokeApiToken',
        REVOKE,
        { id: toGlobalId(IdType.API_TOKEN, '00000000-0000-4000-8000-000000000000') },
      ],
      [
        'changePassword',
        `mutation { changePassword(input: { current: { password: "${alice.password}" }, next: { password: "x" } }) { ${USER_ERRORS} } }`,
        {},
      ],
      [
        'shareFile',
        `mutation ($id: ID!) { shareFile(input: { fileId: $id }) { ${USER_ERRORS} } }`,
        { id: file.id },
      ],
    ];
    for (const [name, query, variables] of refused) {
      const answer = await graphql(app, query, variables, token);
      // A top-level error, before the operation runs: never a user error of the form.
      expect({ name, code: answer.errors?.[0]?.extensions?.code }).toEqual({ name, code: 'FORBIDDEN' });
    }
    // Public reads see no one signed in: the account's objects are invisible to it.
    const viewerId = (await graphql<{ viewer: { id: string } }>(app, '{ viewer { id } }', {}, alice.token))
      .data!.viewer.id;
    const nodes = await graphql(
      app,
      `
        query ($ids: [ID!]!) {
          nodes(ids: $ids) {
            id
          }
        }
      `,
      { ids: [file.id, viewerId] },
      token,
    );
    expect(nodes.data).toEqual({ nodes: [null, null] });
    // Nothing refused happened: no file deleted or replaced, no token made.
    const after = await graphql(app, '{ files(recursive: true) { nodes { md5 } } }', {}, alice.token);
    expect(after.data).toEqual({ files: { nodes: [{ md5: md5('more pixels') }, { md5: md5('pixels') }] } });
    expect((await listOf(alice.token)).apiTokens.totalCount).toBe(1);
  });

  it('stops a revoked token at once, even one just used, and forgets it', async () => {
    const { token, id } = await tokenOf(alice.token, 'FULL');
    expect(await viewerCode(token)).toBe('OK');
    const revoked = await graphql(app, REVOKE, { id }, alice.token);
    expect(revoked.data).toEqual({ revokeApiToken: { deletedIds: [id], userErrors: [] } });
    expect(await viewerCode(token)).toBe('UNAUTHENTICATED');
    expect(uploadCode(await uploadFile(app, token, 'x', { filename: 'x.png' }))).toBe('UNAUTHENTICATED');
    expect((await listOf(alice.token)).apiTokens).toEqual({ totalCount: 0, nodes: [] });
    expect(
      await app.dataSource.query(`SELECT id FROM api_tokens WHERE id = $1`, [fromGlobalId(id)!.localId]),
    ).toEqual([]);
    const again = await graphql(app, REVOKE, { id }, alice.token);
    expect(again.data).toEqual({
      revokeApiToken: {
        deletedIds: [],
        userErrors: [{ code: 'NOT_FOUND', field: ['input', 'id'], message: expect.any(String) }],
      },
    });
  });

  it('refuses a token past its expiry, unlists it and frees its name', async () => {
    const { token, id } = await tokenOf(alice.token, 'FULL', 'short-lived');
    await app.dataSource.query(
      `UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1`,
      [fromGlobalId(id)!.localId],
    );
    expect(await viewerCode(token)).toBe('UNAUTHENTICATED');
    expect((await listOf(alice.token)).apiTokens.totalCount).toBe(0);
    const node = await graphql(
      app,
      `
        query ($id: ID!) {
          node(id: $id) {
            id
          }
        }
      `,
      { id },
      alice.token,
    );
    expect(node.data).toEqual({ node: null });
    expect((await create(alice.token, { name: 'short-lived', scope: 'FULL' })).userErrors).toEqual([]);

    // One used (and so cached) just before it expires stops as well.
    const expiresAt = new Date(Date.now() + 2000).toISOString();
    const soon = await create(alice.token, { name: 'two seconds', scope: 'FULL', expiresAt });
    expect(soon.apiToken!.expiresAt).toBe(expiresAt);
    expect(await viewerCode(soon.token!)).toBe('OK');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await viewerCode(soon.token!)).toBe('UNAUTHENTICATED');

    const past = await create(alice.token, {
      name: 'already over',
      scope: 'FULL',
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    expect(past).toEqual({
      token: null,
      apiToken: null,
      userErrors: [{ code: 'BAD_USER_INPUT', field: ['input', 'expiresAt'], message: expect.any(String) }],
    });
  });

  it('refuses forged tokens of the right shape, and near misses of real ones', async () => {
    const { token } = await tokenOf(alice.token, 'FULL');
    const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    const forged = `pv_${Array.from(randomBytes(40), (byte) => base62[byte % 62]).join('')}`;
    const flipped = token.slice(0, -1) + (token.endsWith('a') ? 'b' : 'a');
    for (const attempt of [forged, flipped, token.toUpperCase().replace('PV_', 'pv_'), `${token}0`]) {
      expect({ attempt, code: await viewerCode(attempt) }).toEqual({ attempt, code: 'UNAUTHENTICATED' });
      expect(uploadCode(await uploadFile(app, attempt, 'x', { filename: 'x.png' }))).toBe('UNAUTHENTICATED');
    }
    expect(await viewerCode(token)).toBe('OK');
  });

  it('keeps sessions and API tokens apart: neither revocation ends the other', async () => {
    const { token, id } = await tokenOf(alice.token, 'FULL');
    const sessionId = (await listOf(alice.token)).sessions.nodes[0].id;

    const sessionAsToken = await graphql(app, REVOKE, { id: sessionId }, token);
    expect(sessionAsToken.data).toEqual({
      revokeApiToken: {
        deletedIds: [],
        userErrors: [{ code: 'BAD_USER_INPUT', field: ['input', 'id'], message: expect.any(String) }],
      },
    });
    const disguisedSession = toGlobalId(IdType.API_TOKEN, fromGlobalId(sessionId)!.localId);
    expect(codeOf(await graphql(app, REVOKE, { id: disguisedSession }, token))).toBe('NOT_FOUND');
    expect(await viewerCode(alice.token)).toBe('OK');

    const tokenAsSession = await graphql(app, REVOKE_SESSION, { id }, alice.token);
    expect(tokenAsSession.data).toEqual({
      revokeSession: {
        deletedIds: [],
        userErrors: [{ code: 'BAD_USER_INPUT', field: ['input', 'id'], message: expect.any(String) }],
      },
    });
    const disguisedToken = toGlobalId(IdType.SESSION, fromGlobalId(id)!.localId);
    expect(codeOf(await graphql(app, REVOKE_SESSION, { id: disguisedToken }, alice.token))).toBe('NOT_FOUND');
    expect(await viewerCode(token)).toBe('OK');
  });

  it('answers NOT_FOUND for another account’s token, which keeps working and stays hidden', async () => {
    const bob = await signUp(app);
    const { token, id } = await tokenOf(alice.token, 'UPLOAD');
    const attempt = await graphql(app, REVOKE, { id }, bob.token);
    expect(attempt.data).toEqual({
      revokeApiToken: {
        deletedIds: [],
        userErrors: [{ code: 'NOT_FOUND', field: ['input', 'id'], message: expect.any(String) }],
      },
    });
    expect(uploadCode(await uploadFile(app, token, 'still mine', { filename: 'a.png' }))).toBe('OK');
    expect(
      (
        await graphql(
          app,
          `
            query ($id: ID!) {
              node(id: $id) {
                id
              }
            }
          `,
          { id },
          bob.token,
        )
      ).data,
    ).toEqual({
      node: null,
    });
    expect((await listOf(bob.token)).apiTokens.totalCount).toBe(0);
  });

  it('takes names of 1 to 64 characters, unique per account in any letter case', async () => {
    const bad = ['', 'x'.repeat(65), ' padded', 'padded ', 'tab\there'];
    for (const name of bad) {
      const answer = await create(alice.token, { name, scope: 'UPLOAD' });
      expect({ name, answer }).toEqual({
        name,
        answer: {
          token: null,
          apiToken: null,
          userErrors: [{ code: 'BAD_USER_INPUT', field: ['input', 'name'], message: expect.any(String) }],
        },
      });
    }
    expect((await create(alice.token, { name: 'n'.repeat(64), scope: 'UPLOAD' })).userErrors).toEqual([]);
    expect((await create(alice.token, { name: 'Typora', scope: 'UPLOAD' })).userErrors).toEqual([]);
    expect(await create(alice.token, { name: 'tYPORA', scope: 'FULL' })).toEqual({
      token: null,
      apiToken: null,
      userErrors: [{ code: 'NAME_TAKEN', field: ['input', 'name'], message: expect.any(String) }],
    });
    const bob = await signUp(app);
    expect((await create(bob.token, { name: 'Typora', scope: 'UPLOAD' })).userErrors).toEqual([]);
    expect((await listOf(alice.token)).apiTokens.totalCount).toBe(2);
  });

  it('keeps an account to 100 tokens, however many are asked for at once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 105 }, (_, index) => create(alice.token, { name: `n${index}`, scope: 'UPLOAD' })),
    );
    const codes = answers.map((answer) => answer.userErrors[0]?.code ?? 'OK');
    expect(codes.filter((code) => code === 'OK')).toHaveLength(100);
    expect(codes.filter((code) => code === 'QUOTA_EXCEEDED')).toHaveLength(5);
    expect((await listOf(alice.token)).apiTokens.totalCount).toBe(100);
  });

  describe('issueApiToken', () => {
    const issue = async (input: Record<string, unknown>) =>
      graphql<{ issueApiToken: NewToken }>(app, ISSUE, { input });

    it('answers a new token for the right password, named sm.ms, sm.ms (2)… unless named', async () => {
      const first = (await issue({ userName: alice.userName, password: alice.password, scope: 'UPLOAD' }))
        .data!.issueApiToken;
      expect(first).toEqual({
        token: expect.stringMatching(API_TOKEN_SHAPE),
        apiToken: expect.objectContaining({ name: 'sm.ms', scope: 'UPLOAD', expiresAt: null }),
        userErrors: [],
      });
      const second = (
        await issue({
          userName: alice.userName.toUpperCase(),
          passwordMd5: md5(alice.password),
          scope: 'FULL',
        })
      ).data!.issueApiToken;
      expect(second.apiToken).toMatchObject({ name: 'sm.ms (2)', scope: 'FULL' });
      const named = (
        await issue({ userName: alice.userName, password: alice.password, scope: 'UPLOAD', name: 'uPic' })
      ).data!.issueApiToken;
      expect(named.apiToken).toMatchObject({ name: 'uPic' });
      const taken = (
        await issue({ userName: alice.userName, password: alice.password, scope: 'UPLOAD', name: 'SM.MS' })
      ).data!.issueApiToken;
      expect(taken.userErrors).toEqual([
        { code: 'NAME_TAKEN', field: ['input', 'name'], message: expect.any(String) },
      ]);

      // Each works, the first two side by side: issuing one does not end another.
      expect(uploadCode(await uploadFile(app, first.token, 'x', { filename: 'x.png' }))).toBe('OK');
      expect(await viewerCode(first.token!)).toBe('FORBIDDEN');
      expect(await viewerCode(second.token!)).toBe('OK');
      expect((await listOf(alice.token)).apiTokens.nodes.map((token) => token.name)).toEqual([
        'uPic',
        'sm.ms (2)',
        'sm.ms',
      ]);
    });

    it('refuses a wrong password or an unknown name alike, as a user error on the password', async () => {
      const answers = [];
      for (const input of [
        { userName: alice.userName, password: 'wrong', scope: 'FULL' },
        { userName: 'nobody-here', password: alice.password, scope: 'FULL' },
      ]) {
        const answer = await issue(input);
        expect(answer.errors).toBeUndefined();
        expect(answer.data!.issueApiToken).toEqual({
          token: null,
          apiToken: null,
          userErrors: [
            { code: 'UNAUTHENTICATED', field: ['input', 'password'], message: expect.any(String) },
          ],
        });
        answers.push(answer.data);
      }
      expect(answers[0]).toEqual(answers[1]);
      expect((await listOf(alice.token)).apiTokens.totalCount).toBe(0);
    });

    it('counts against the same limit as login, so it opens no second way to guess', async () => {
      const login = (password: string) =>
        graphql(
          app,
          `mutation ($userName: String!, $password: String!) { login(input: { userName: $userName, password: $password }) { token ${USER_ERRORS} } }`,
          { userName: alice.userName, password },
        );
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect(codeOf(await login(`wrong-${attempt}`))).toBe('UNAUTHENTICATED');
        expect(
          codeOf(await issue({ userName: alice.userName, password: `wrong+${attempt}`, scope: 'FULL' })),
        ).toBe('UNAUTHENTICATED');
      }
      expect(codeOf(await issue({ userName: alice.userName, password: alice.password, scope: 'FULL' }))).toBe(
        'RATE_LIMITED',
      );
      expect(codeOf(await login(alice.password))).toBe('RATE_LIMITED');
    });

    it('runs alone: one password check per operation', async () => {
      const both = await graphql(
        app,
        `
          mutation ($userName: String!, $password: String!) {
            a: issueApiToken(input: { userName: $userName, password: $password, scope: FULL }) {
              token
            }
            b: login(input: { userName: $userName, password: $password }) {
              token
            }
          }
        `,
        { userName: alice.userName, password: alice.password },
      );
      expect(both.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
    });
  });
});
