import { md5 } from '../helpers/accounts';
import { graphql } from '../helpers/http';
import { startTestApp, type TestApp } from '../helpers/test-app';
import type { UserError } from '../helpers/uploads';

const USER_ERRORS = 'userErrors { code field message }';
const REGISTER = `mutation ($input: RegisterInput!) {
  register(input: $input) { user { id userName nickName email phone } ${USER_ERRORS} }
}`;
const LOGIN = `mutation ($input: LoginInput!) {
  login(input: $input) { token expiresAt viewer { userName } ${USER_ERRORS} }
}`;
const VIEWER = `{ viewer { userName nickName } }`;
const SESSIONS = `{ viewer { sessions { nodes { id current } } } }`;
const CHANGE_PASSWORD = `mutation ($input: ChangePasswordInput!) {
  changePassword(input: $input) { viewer { userName } deletedIds ${USER_ERRORS} }
}`;

interface RegisterAnswer {
  register: { user: { userName: string } | null; userErrors: UserError[] };
}
interface LoginAnswer {
  login: {
    token: string | null;
    expiresAt: string | null;
    viewer: { userName: string } | null;
    userErrors: UserError[];
  };
}

describe.each([
  ['with Redis', true],
  ['without Redis', false],
])('accounts over GraphQL %s', (_label, redis) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ redis });
  });
  afterAll(() => app.close());

  /** The id of the session `token` stands for, from `viewer.sessions`. */
  const sessionIdOf = async (token: string) => {
    const answer = await graphql<{ viewer: { sessions: { nodes: { id: string; current: boolean }[] } } }>(
      app,
      SESSIONS,
      {},
      token,
    );
    return answer.data!.viewer.sessions.nodes.find((session) => session.current)!.id;
  };

  it('registers, logs in with the password or its md5, and answers viewer', async () => {
    const registered = await graphql<RegisterAnswer>(app, REGISTER, {
      input: { userName: 'Alice', nickName: 'Al', password: 'secret', email: 'alice@example.com' },
    });
    expect(registered.errors).toBeUndefined();
    expect(registered.data?.register.userErrors).toEqual([]);
    expect(registered.data?.register.user).toMatchObject({
      userName: 'Alice',
      email: 'alice@example.com',
      phone: null,
    });

    const byPassword = await graphql<LoginAnswer>(app, LOGIN, {
      input: { userName: 'alice', password: 'secret' },
    });
    expect(byPassword.data!.login.userErrors).toEqual([]);
    expect(byPassword.data!.login.viewer).toEqual({ userName: 'Alice' });
    const token = byPassword.data!.login.token!;
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    const lifetimeHours = (Date.parse(byPassword.data!.login.expiresAt!) - Date.now()) / 3_600_000;
    expect(lifetimeHours).toBeGreaterThan(23);
    expect(lifetimeHours).toBeLessThanOrEqual(24);

    const byMd5 = await graphql<LoginAnswer>(app, LOGIN, {
      input: { userName: 'Alice', passwordMd5: md5('secret').toUpperCase() },
    });
    expect(byMd5.data!.login.token).toMatch(/^[0-9a-f]{32}$/);
    expect(byMd5.data!.login.token).not.toBe(token);

    const viewer = await graphql(app, VIEWER, {}, token);
    expect(viewer.data?.viewer).toEqual({ userName: 'Alice', nickName: 'Al' });
  });

  it('keeps a remembered session for 30 days', async () => {
    await graphql(app, REGISTER, { input: { userName: 'rem', nickName: 'r', password: 'pw' } });
    const login = await graphql<LoginAnswer>(app, LOGIN, {
      input: { userName: 'rem', password: 'pw', remember: true },
    });
    const days = (Date.parse(login.data!.login.expiresAt!) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
  });

  it('refuses a wrong password and an unknown user alike, as a user error on the password', async () => {
    await graphql(app, REGISTER, { input: { userName: 'bob', nickName: 'b', password: 'right' } });
    const answers = [];
    for (const input of [
      { userName: 'bob', password: 'wrong' },
      { userName: 'nobody', password: 'right' },
    ]) {
      const answer = await graphql<LoginAnswer>(app, LOGIN, { input });
      expect(answer.errors).toBeUndefined();
      expect(answer.data!.login).toEqual({
        token: null,
        expiresAt: null,
        viewer: null,
        userErrors: [{ code: 'UNAUTHENTICATED', field: ['input', 'password'], message: expect.any(String) }],
      });
      answers.push(answer.data!.login);
    }
    // Nothing tells a wrong password from an unknown name.
    expect(answers[0]).toEqual(answers[1]);
  });

  it('refuses every login to an account after 10 wrong passwords, and only to that account', async () => {
    for (const userName of ['guessed', 'neighbour']) {
      await graphql(app, REGISTER, { input: { userName, nickName: 'n', password: 'right' } });
    }
    const codeOfLogin = async (userName: string, password: string) => {
      const answer = await graphql<LoginAnswer>(app, LOGIN, { input: { userName, password } });
      return answer.errors?.[0].extensions?.code ?? answer.data?.login.userErrors[0]?.code ?? 'OK';
    };

    // A right password before the limit starts the count again.
    for (let attempt = 0; attempt < 9; attempt += 1) {
      expect(await codeOfLogin('guessed', `wrong-${attempt}`)).toBe('UNAUTHENTICATED');
    }
    expect(await codeOfLogin('guessed', 'right')).toBe('OK');

    // The count is the account's, whatever the case of its name.
    for (let attempt = 0; attempt < 10; attempt += 1) {
      expect(await codeOfLogin(attempt % 2 ? 'GUESSED' : 'guessed', `wrong-${attempt}`)).toBe(
        'UNAUTHENTICATED',
      );
    }
    // Past the limit the refusal is a top-level error, not the form's.
    const limited = await graphql<LoginAnswer>(app, LOGIN, {
      input: { userName: 'guessed', password: 'right' },
    });
    expect(limited.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    expect(limited.data).toBeNull();
    expect(await codeOfLogin('neighbour', 'right')).toBe('OK');

    // A name nobody has is refused the same way, so the answers tell nothing about who exists.
    for (let attempt = 0; attempt < 10; attempt += 1) {
      expect(await codeOfLogin('nobody-at-all', 'guess')).toBe('UNAUTHENTICATED');
    }
    expect(await codeOfLogin('nobody-at-all', 'guess')).toBe('RATE_LIMITED');
  });

  it('ends the session on logout, so the token stops working at once', async () => {
    await graphql(app, REGISTER, { input: { userName: 'carol', nickName: 'c', password: 'pw' } });
    const token = (
      await graphql<LoginAnswer>(app, LOGIN, {
        input: { userName: 'carol', password: 'pw' },
      })
    ).data!.login.token!;
    expect((await graphql(app, VIEWER, {}, token)).data?.viewer).toBeTruthy();
    const sessionId = await sessionIdOf(token);
    expect((await graphql(app, `mutation { logout { deletedIds ${USER_ERRORS} } }`, {}, token)).data).toEqual(
      { logout: { deletedIds: [sessionId], userErrors: [] } },
    );
    const after = await graphql(app, VIEWER, {}, token);
    expect(after.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('changes the password, ending the other sessions but not this one', async () => {
    await graphql(app, REGISTER, { input: { userName: 'dave', nickName: 'd', password: 'old' } });
    const login = async (password: string) =>
      (await graphql<LoginAnswer>(app, LOGIN, { input: { userName: 'dave', password } })).data?.login.token;
    const current = (await login('old'))!;
    const other = (await login('old'))!;
    const otherId = await sessionIdOf(other);

    const wrong = await graphql(
      app,
      CHANGE_PASSWORD,
      { input: { current: { password: 'nope' }, next: { password: 'new' } } },
      current,
    );
    expect(wrong.errors).toBeUndefined();
    expect(wrong.data).toEqual({
      changePassword: {
        viewer: null,
        deletedIds: [],
        userErrors: [{ code: 'FORBIDDEN', field: ['input', 'current'], message: expect.any(String) }],
      },
    });
    expect((await graphql(app, VIEWER, {}, other)).data?.viewer).toBeTruthy();

    const changed = await graphql(
      app,
      CHANGE_PASSWORD,
      { input: { current: { password: 'old' }, next: { password: 'new' } } },
      current,
    );
    expect(changed.data).toEqual({
      changePassword: { viewer: { userName: 'dave' }, deletedIds: [otherId], userErrors: [] },
    });
    expect((await graphql(app, VIEWER, {}, current)).data?.viewer).toBeTruthy();
    expect((await graphql(app, VIEWER, {}, other)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await login('old')).toBeNull();
    expect(await login('new')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('rejects bad registrations with a BAD_USER_INPUT user error on the field at fault, and stores nothing', async () => {
    const bad: [Record<string, unknown>, string[] | null][] = [
      [{ userName: 'x'.repeat(33), nickName: 'n', password: 'p' }, ['input', 'userName']],
      [{ userName: 'okname', nickName: 'n'.repeat(33), password: 'p' }, ['input', 'nickName']],
      [{ userName: 'okname', nickName: 'n', password: 'p', phone: '1'.repeat(17) }, ['input', 'phone']],
      [{ userName: 'okname', nickName: 'n', password: 'p', email: 'not-an-email' }, ['input', 'email']],
      [
        { userName: 'okname', nickName: 'n', passwordMd5: 'e10adc3949ba59abbe56e057f20f883' },
        ['input', 'passwordMd5'],
      ],
      [
        { userName: 'okname', nickName: 'n', passwordMd5: 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz' },
        ['input', 'passwordMd5'],
      ],
      // No password at all: no one field is at fault.
      [{ userName: 'okname', nickName: 'n' }, null],
      [{ userName: '', nickName: 'n', password: 'p' }, ['input', 'userName']],
      [{ userName: 'a/b', nickName: 'n', password: 'p' }, ['input', 'userName']],
      [{ userName: 'tab\there', nickName: 'n', password: 'p' }, ['input', 'userName']],
    ];
    for (const [input, field] of bad) {
      const answer = await graphql<RegisterAnswer>(app, REGISTER, { input });
      expect({ input, errors: answer.errors, user: answer.data?.register.user }).toEqual({
        input,
        errors: undefined,
        user: null,
      });
      // One user error per rule broken (a phone can break two), every one on the field at fault.
      const userErrors = answer.data!.register.userErrors;
      expect({ input, count: userErrors.length > 0 }).toEqual({ input, count: true });
      expect({ input, userErrors }).toEqual({
        input,
        userErrors: userErrors.map(() => ({ code: 'BAD_USER_INPUT', field, message: expect.any(String) })),
      });
    }
    // A variable of the wrong type is refused before execution: a top-level error.
    const wrongType = await graphql(app, REGISTER, { input: { userName: 12, nickName: 'n', password: 'p' } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const [{ count }] = await app.dataSource.query(
      `SELECT count(*)::int AS count FROM users WHERE user_name = 'okname'`,
    );
    expect(count).toBe(0);
  });

  it('answers USER_EXISTS for a name taken in any letter case, and EMAIL_TAKEN for a used address, on their fields', async () => {
    await graphql(app, REGISTER, {
      input: { userName: 'Erin', nickName: 'e', password: 'p', email: 'erin@example.com' },
    });
    const sameName = await graphql<RegisterAnswer>(app, REGISTER, {
      input: { userName: 'eRIN', nickName: 'e', password: 'p' },
    });
    expect(sameName.errors).toBeUndefined();
    expect(sameName.data!.register).toEqual({
      user: null,
      userErrors: [{ code: 'USER_EXISTS', field: ['input', 'userName'], message: expect.any(String) }],
    });
    const sameEmail = await graphql<RegisterAnswer>(app, REGISTER, {
      input: { userName: 'erin2', nickName: 'e', password: 'p', email: 'ERIN@example.com' },
    });
    expect(sameEmail.data!.register).toEqual({
      user: null,
      userErrors: [{ code: 'EMAIL_TAKEN', field: ['input', 'email'], message: expect.any(String) }],
    });
  });

  it('lets exactly one of two concurrent registrations of one name succeed', async () => {
    const answers = await Promise.all(
      ['race', 'RACE', 'Race', 'race'].map((userName) =>
        graphql<RegisterAnswer>(app, REGISTER, { input: { userName, nickName: 'r', password: 'p' } }),
      ),
    );
    expect(answers.every((answer) => answer.errors === undefined)).toBe(true);
    expect(answers.filter((answer) => answer.data?.register.user).length).toBe(1);
    expect(
      answers.filter((answer) => answer.data?.register.userErrors[0]?.code === 'USER_EXISTS').length,
    ).toBe(3);
  });

  it('stores only an argon2id hash of the password and a sha256 of the token', async () => {
    await graphql(app, REGISTER, { input: { userName: 'frank', nickName: 'f', password: 'pw' } });
    const token = (
      await graphql<LoginAnswer>(app, LOGIN, {
        input: { userName: 'frank', password: 'pw' },
      })
    ).data!.login.token!;
    const [user] = await app.dataSource.query(`SELECT password_hash FROM users WHERE user_name = 'frank'`);
    expect(user.password_hash).toMatch(/^\$argon2id\$/);
    expect(user.password_hash).not.toContain(md5('pw'));
    const sessions = await app.dataSource.query(`SELECT token_hash FROM sessions`);
    expect(sessions.map((row: { token_hash: string }) => row.token_hash)).not.toContain(token);
  });

  it('hides internals: unknown fields are BAD_USER_INPUT and every error carries a request id', async () => {
    const answer = await graphql(
      app,
      `
        {
          nope
        }
      `,
    );
    expect(answer.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(answer.errors?.[0].extensions?.requestId).toMatch(/\S+/);
    expect(JSON.stringify(answer)).not.toMatch(/stacktrace|at .*\.ts:/);
  });
});
