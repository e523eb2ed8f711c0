import { md5 } from '../helpers/accounts';
import { graphql } from '../helpers/http';
import { startTestApp, type TestApp } from '../helpers/test-app';

const REGISTER = `mutation ($input: RegisterInput!) { register(input: $input) { id userName nickName email phone } }`;
const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { token expiresAt user { userName } } }`;
const ME = `{ me { userName nickName } }`;

describe.each([
  ['with Redis', true],
  ['without Redis', false],
])('accounts over GraphQL %s', (_label, redis) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ redis });
  });
  afterAll(() => app.close());

  it('registers, logs in with the password or its md5, and answers me', async () => {
    const registered = await graphql(app, REGISTER, {
      input: { userName: 'Alice', nickName: 'Al', password: 'secret', email: 'alice@example.com' },
    });
    expect(registered.errors).toBeUndefined();
    expect(registered.data?.register).toMatchObject({
      userName: 'Alice',
      email: 'alice@example.com',
      phone: null,
    });

    const byPassword = await graphql<{ login: { token: string; expiresAt: string } }>(app, LOGIN, {
      input: { userName: 'alice', password: 'secret' },
    });
    const token = byPassword.data!.login.token;
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    const lifetimeHours = (Date.parse(byPassword.data!.login.expiresAt) - Date.now()) / 3_600_000;
    expect(lifetimeHours).toBeGreaterThan(23);
    expect(lifetimeHours).toBeLessThanOrEqual(24);

    const byMd5 = await graphql<{ login: { token: string } }>(app, LOGIN, {
      input: { userName: 'Alice', passwordMd5: md5('secret').toUpperCase() },
    });
    expect(byMd5.data!.login.token).not.toBe(token);

    const me = await graphql(app, ME, {}, token);
    expect(me.data?.me).toEqual({ userName: 'Alice', nickName: 'Al' });
  });

  it('keeps a remembered session for 30 days', async () => {
    await graphql(app, REGISTER, { input: { userName: 'rem', nickName: 'r', password: 'pw' } });
    const login = await graphql<{ login: { expiresAt: string } }>(app, LOGIN, {
      input: { userName: 'rem', password: 'pw', remember: true },
    });
    const days = (Date.parse(login.data!.login.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
  });

  it('refuses a wrong password and an unknown user alike', async () => {
    await graphql(app, REGISTER, { input: { userName: 'bob', nickName: 'b', password: 'right' } });
    for (const input of [
      { userName: 'bob', password: 'wrong' },
      { userName: 'nobody', password: 'right' },
    ]) {
      const answer = await graphql(app, LOGIN, { input });
      expect(answer.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(answer.data).toBeNull();
    }
  });

  it('refuses every login to an account after 10 wrong passwords, and only to that account', async () => {
    for (const userName of ['guessed', 'neighbour']) {
      await graphql(app, REGISTER, { input: { userName, nickName: 'n', password: 'right' } });
    }
    const codeOfLogin = async (userName: string, password: string) =>
      (await graphql(app, LOGIN, { input: { userName, password } })).errors?.[0].extensions?.code ?? 'OK';

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
    expect(await codeOfLogin('guessed', 'right')).toBe('RATE_LIMITED');
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
      await graphql<{ login: { token: string } }>(app, LOGIN, {
        input: { userName: 'carol', password: 'pw' },
      })
    ).data!.login.token;
    expect((await graphql(app, ME, {}, token)).data?.me).toBeTruthy();
    expect(
      (
        await graphql(
          app,
          `
            mutation {
              logout
            }
          `,
          {},
          token,
        )
      ).data,
    ).toEqual({ logout: true });
    const after = await graphql(app, ME, {}, token);
    expect(after.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('changes the password, ending the other sessions but not this one', async () => {
    await graphql(app, REGISTER, { input: { userName: 'dave', nickName: 'd', password: 'old' } });
    const login = async (password: string) =>
      (await graphql<{ login: { token: string } }>(app, LOGIN, { input: { userName: 'dave', password } }))
        .data?.login.token;
    const current = (await login('old'))!;
    const other = (await login('old'))!;
    await graphql(app, ME, {}, other);

    const wrong = await graphql(
      app,
      `
        mutation ($input: ChangePasswordInput!) {
          changePassword(input: $input)
        }
      `,
      { input: { current: { password: 'nope' }, next: { password: 'new' } } },
      current,
    );
    expect(wrong.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const changed = await graphql(
      app,
      `
        mutation ($input: ChangePasswordInput!) {
          changePassword(input: $input)
        }
      `,
      { input: { current: { password: 'old' }, next: { password: 'new' } } },
      current,
    );
    expect(changed.data).toEqual({ changePassword: true });
    expect((await graphql(app, ME, {}, current)).data?.me).toBeTruthy();
    expect((await graphql(app, ME, {}, other)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await login('old')).toBeUndefined();
    expect(await login('new')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('rejects bad registrations with BAD_USER_INPUT and stores nothing', async () => {
    const bad = [
      { userName: 'x'.repeat(33), nickName: 'n', password: 'p' },
      { userName: 'okname', nickName: 'n'.repeat(33), password: 'p' },
      { userName: 'okname', nickName: 'n', password: 'p', phone: '1'.repeat(17) },
      { userName: 'okname', nickName: 'n', password: 'p', email: 'not-an-email' },
      { userName: 'okname', nickName: 'n', passwordMd5: 'e10adc3949ba59abbe56e057f20f883' },
      { userName: 'okname', nickName: 'n', passwordMd5: 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz' },
      { userName: 'okname', nickName: 'n' },
      { userName: '', nickName: 'n', password: 'p' },
      { userName: 'a/b', nickName: 'n', password: 'p' },
      { userName: 'tab\there', nickName: 'n', password: 'p' },
    ];
    for (const input of bad) {
      const answer = await graphql(app, REGISTER, { input });
      expect({ input, code: answer.errors?.[0].extensions?.code }).toEqual({ input, code: 'BAD_USER_INPUT' });
    }
    const wrongType = await graphql(app, REGISTER, { input: { userName: 12, nickName: 'n', password: 'p' } });
    expect(wrongType.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const [{ count }] = await app.dataSource.query(
      `SELECT count(*)::int AS count FROM users WHERE user_name = 'okname'`,
    );
    expect(count).toBe(0);
  });

  it('answers USER_EXISTS for a name taken in any letter case, and EMAIL_TAKEN for a used address', async () => {
    await graphql(app, REGISTER, {
      input: { userName: 'Erin', nickName: 'e', password: 'p', email: 'erin@example.com' },
    });
    const sameName = await graphql(app, REGISTER, {
      input: { userName: 'eRIN', nickName: 'e', password: 'p' },
    });
    expect(sameName.errors?.[0].extensions?.code).toBe('USER_EXISTS');
    const sameEmail = await graphql(app, REGISTER, {
      input: { userName: 'erin2', nickName: 'e', password: 'p', email: 'ERIN@example.com' },
    });
    expect(sameEmail.errors?.[0].extensions?.code).toBe('EMAIL_TAKEN');
  });

  it('lets exactly one of two concurrent registrations of one name succeed', async () => {
    const answers = await Promise.all(
      ['race', 'RACE', 'Race', 'race'].map((userName) =>
        graphql(app, REGISTER, { input: { userName, nickName: 'r', password: 'p' } }),
      ),
    );
    expect(answers.filter((answer) => answer.data?.register).length).toBe(1);
    expect(answers.filter((answer) => answer.errors?.[0].extensions?.code === 'USER_EXISTS').length).toBe(3);
  });

  it('stores only an argon2id hash of the password and a sha256 of the token', async () => {
    await graphql(app, REGISTER, { input: { userName: 'frank', nickName: 'f', password: 'pw' } });
    const token = (
      await graphql<{ login: { token: string } }>(app, LOGIN, {
        input: { userName: 'frank', password: 'pw' },
      })
    ).data!.login.token;
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
