import { randomBytes } from 'node:crypto';
import { AttemptLimiter } from '../../src/cache/attempt-limiter';
import { md5, signUp, type TestUser } from '../helpers/accounts';
import { graphql, postJson, type GraphQLResponse } from '../helpers/http';
import { startTestApp, type TestApp } from '../helpers/test-app';
import type { UserError } from '../helpers/uploads';

const LOGIN = `mutation ($userName: String!, $password: String!) {
  login(input: { userName: $userName, password: $password }) { token userErrors { code field message } }
}`;

const REGISTER = `mutation ($userName: String!) {
  register(input: { userName: $userName, nickName: "n", password: "a password" }) {
    user { id }
    userErrors { code field message }
  }
}`;

/**
 * What one `login` or `register` answered: a top-level error's code (RATE_LIMITED), else the code of
 * the payload's first user error (a wrong password is UNAUTHENTICATED there), else 'OK'.
 */
const codeOf = (answer: GraphQLResponse) => {
  const payload = Object.values(answer.data ?? {})[0] as { userErrors: UserError[] } | null | undefined;
  return answer.errors?.[0]?.extensions?.code ?? payload?.userErrors[0]?.code ?? 'OK';
};

/** How many answers had each code. */
function tally(codes: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
}

describe.each([
  ['with Redis', true],
  ['without Redis', false],
])('login and registration limits %s', (_label, redis) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ redis, env: { LOGIN_IP_LIMIT: '1000', REGISTER_IP_LIMIT: '1000' } });
  });
  afterAll(() => app.close());

  const login = (userName: string, password: string) =>
    graphql(app, LOGIN, { userName, password }).then(codeOf);

  it('checks only ten of 100 concurrent wrong passwords for one account, and then refuses the right one', async () => {
    const victim = await signUp(app);
    const codes = await Promise.all(
      Array.from({ length: 100 }, (_, index) => login(victim.userName, `guess ${index}`)),
    );
    expect(tally(codes)).toEqual({ UNAUTHENTICATED: 10, RATE_LIMITED: 90 });
    expect(await login(victim.userName, victim.password)).toBe('RATE_LIMITED');
    // The spec-001 door answers its failure code.
    expect(
      (await postJson(app, '/api/login', { user: victim.userName, pwd: md5(victim.password) })).body,
    ).toEqual({ code: 1 });
  });

  it('counts every spelling that finds the account in one bucket: case and Unicode folding alike', async () => {
    const victim = await signUp(app, `victim${randomBytes(3).toString('hex')}`);
    const spellings = [victim.userName.toUpperCase(), victim.userName.replace('i', 'İ'), victim.userName];
    for (let attempt = 0; attempt < 10; attempt += 1) {
      expect(await login(spellings[attempt % spellings.length], `guess ${attempt}`)).toBe('UNAUTHENTICATED');
    }
    for (const spelling of spellings) expect(await login(spelling, victim.password)).toBe('RATE_LIMITED');
  });

  it('starts an account afresh after a right password', async () => {
    const user: TestUser = await signUp(app);
    for (let attempt = 0; attempt < 9; attempt += 1) await login(user.userName, 'wrong');
    expect(await login(user.userName, user.password)).toBe('OK');
    for (let attempt = 0; attempt < 9; attempt += 1) {
      expect(await login(user.userName, 'wrong')).toBe('UNAUTHENTICATED');
    }
    expect(await login(user.userName, user.password)).toBe('OK');
  });
});

describe('per-address limits', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { LOGIN_IP_LIMIT: '5', REGISTER_IP_LIMIT: '3' } });
  });
  afterAll(() => app.close());

  it('refuses sign-in attempts from one address past LOGIN_IP_LIMIT, whichever accounts they name', async () => {
    const codes: string[] = [];
    for (let attempt = 0; attempt < 7; attempt += 1) {
      codes.push(codeOf(await graphql(app, LOGIN, { userName: `nobody${attempt}`, password: 'x' })));
    }
    expect(codes).toEqual([...Array(5).fill('UNAUTHENTICATED'), 'RATE_LIMITED', 'RATE_LIMITED']);
  });

  it('refuses registrations from one address past REGISTER_IP_LIMIT', async () => {
    const codes: string[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      codes.push(codeOf(await graphql(app, REGISTER, { userName: `new${randomBytes(4).toString('hex')}` })));
    }
    expect(codes).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(
      (await postJson(app, '/api/reg', { userName: 'late', nickName: 'late', firstPwd: md5('pw') })).body,
    ).toEqual({ code: 1 });
  });
});

describe('AttemptLimiter in process memory', () => {
  it('keeps a key over its limit however many other keys fill the store', async () => {
    const limiter = new AttemptLimiter('test', { attempts: 3, seconds: 60 }, null);
    for (let attempt = 0; attempt < 3; attempt += 1) expect(await limiter.take('victim')).toBe(true);
    expect(await limiter.take('victim')).toBe(false);
    for (let junk = 0; junk < 50_000; junk += 1) await limiter.take(`junk ${junk}`);
    expect(await limiter.take('victim')).toBe(false);
  });

  it('forgets a key once its window ends, not before', async () => {
    const limiter = new AttemptLimiter('test', { attempts: 1, seconds: 1 }, null);
    expect(await limiter.take('k')).toBe(true);
    expect(await limiter.take('k')).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await limiter.take('k')).toBe(true);
  });
});

describe('expired sessions', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('are deleted by the periodic upkeep; live ones stay', async () => {
    const alive = await signUp(app);
    const expired = await signUp(app);
    await app.dataSource.query(
      `UPDATE sessions SET expires_at = now() - interval '1 minute'
        WHERE user_id = (SELECT id FROM users WHERE user_name = $1)`,
      [expired.userName],
    );
    await app.maintain();
    const rows = await app.dataSource.query<{ user_name: string }[]>(
      `SELECT u.user_name FROM sessions s JOIN users u ON u.id = s.user_id`,
    );
    expect(rows.map((row) => row.user_name)).toEqual([alive.userName]);
  });
});
