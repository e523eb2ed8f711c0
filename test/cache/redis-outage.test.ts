import { fromGlobalId } from '../../src/schema/global-id';
import { signUp, type TestUser } from '../helpers/accounts';
import { uploadFile } from '../helpers/files';
import { graphql } from '../helpers/http';
import { PrivateRedis } from '../helpers/private-redis';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { eventually } from '../helpers/wait';

const FILES = `{ files(first: 10) { nodes { name } } }`;
const LOGIN = `mutation ($userName: String!, $password: String!) {
  login(input: { userName: $userName, password: $password }) { token userErrors { code } }
}`;
const LOGOUT = `mutation { logout { deletedIds } }`;
const SHARE_FILE = `mutation ($id: ID!) { shareFile(input: { fileId: $id }) { share { id } } }`;
const RECORD_DOWNLOAD = `mutation ($id: ID!) { recordShareDownload(input: { id: $id }) { counted } }`;
const RANKING = `{ downloadRanking(first: 20) { totalCount nodes { id } } }`;

const localId = (id: string) => fromGlobalId(id)!.localId;

/** The app's own database's ranking order, the truth the answers must match. */
async function rankingInPostgres(app: TestApp): Promise<string[]> {
  const rows = await app.dataSource.query<{ id: string }[]>(
    `SELECT id FROM shares ORDER BY pv DESC, created_at DESC, id DESC`,
  );
  return rows.map((row) => row.id);
}

/**
 * Redis holds caches, limits and the ranking's order, all of which Postgres can answer or rebuild:
 * with it down, requests are answered; when it returns, even from older saved data, nothing it held
 * is trusted until it is made right.
 */
describe('with its Redis killed, and brought back from older saved data', () => {
  let redis: PrivateRedis;
  let app: TestApp;
  let alice: TestUser;
  const shares: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const logged = (text: string) => logs.filter((line) => String(line.msg).includes(text));

  const ranked = async () => {
    const answer = await graphql<{ downloadRanking: { totalCount: number; nodes: { id: string }[] } }>(
      app,
      RANKING,
    );
    expect(answer.errors).toBeUndefined();
    return answer.data!.downloadRanking;
  };
  const download = async (share: string, times: number) => {
    for (let i = 0; i < times; i += 1) {
      const answer = await graphql(app, RECORD_DOWNLOAD, { id: share });
      expect(answer).toMatchObject({ status: 200, data: { recordShareDownload: { counted: true } } });
    }
  };
  /** Runs `request`, and checks that it took less than a second, as a request without Redis must. */
  const promptly = async <T>(request: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await request();
    expect(Date.now() - started).toBeLessThan(1000);
    return result;
  };

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    app = await startTestApp({
      redisUrl: redis.url,
      logs,
      env: { LOG_LEVEL: 'info', LOGIN_ACCOUNT_LIMIT: '4' },
    });
    alice = await signUp(app);
    for (const name of ['one.txt', 'two.txt', 'three.txt']) {
      const file = await uploadFile(app, alice.token, name, `the bytes of ${name}`);
      const shared = await graphql<{ shareFile: { share: { id: string } } }>(
        app,
        SHARE_FILE,
        { id: file.id },
        alice.token,
      );
      shares.push(shared.data!.shareFile.share.id);
    }
    await download(shares[0], 3);
    await download(shares[1], 2);
    await download(shares[2], 1);
    await app.settled();
    // Read once, so Redis holds the ranking and alice's session; then saved as they are now.
    expect((await ranked()).nodes.map((node) => node.id)).toEqual(shares);
    expect((await graphql(app, FILES, {}, alice.token)).status).toBe(200);
    await redis.save();
    await redis.kill();
  });
  afterAll(async () => {
    await redis.restart();
    await app.close();
    await redis.remove();
  });

  it('answers signed-in requests from Postgres at once, and signs in, while Redis is down', async () => {
    for (let i = 0; i < 5; i += 1) {
      const answer = await promptly(() => graphql(app, FILES, {}, alice.token));
      expect(answer.status).toBe(200);
      expect(answer.errors).toBeUndefined();
    }
    const login = await promptly(() =>
      graphql<{ login: { token: string | null } }>(app, LOGIN, {
        userName: alice.userName,
        password: alice.password,
      }),
    );
    expect(login.data?.login.token).toMatch(/^[0-9a-f]{32}$/);
    expect((await graphql(app, FILES, {}, login.data!.login.token!)).status).toBe(200);
  });

  it('still limits sign-in attempts, in this process, and no more loosely', async () => {
    const victim = await signUp(app);
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const answer = await graphql<{ login: { userErrors: { code: string }[] } }>(app, LOGIN, {
        userName: victim.userName,
        password: `guess ${attempt}`,
      });
      outcomes.push(answer.errors?.[0].extensions?.code ?? answer.data!.login.userErrors[0].code);
    }
    const allowed = outcomes.indexOf('RATE_LIMITED');
    expect(allowed).toBeGreaterThan(0);
    expect(allowed).toBeLessThanOrEqual(4);
    expect(outcomes.slice(allowed).every((code) => code === 'RATE_LIMITED')).toBe(true);
  });

  it('commits counts and answers the ranking from Postgres while Redis is down', async () => {
    await promptly(() => download(shares[2], 5));
    await promptly(() => download(shares[1], 1));
    const ranking = await promptly(ranked);
    expect(ranking.nodes.map((node) => localId(node.id))).toEqual(await rankingInPostgres(app));
    expect(ranking.totalCount).toBe(3);
  });

  it('ends a session during the outage for good, though Redis comes back holding it', async () => {
    const other = await signUp(app);
    expect((await graphql(app, FILES, {}, alice.token)).status).toBe(200);
    expect((await graphql(app, LOGOUT, {}, alice.token)).status).toBe(200);
    await redis.restart();
    await eventually(
      () => Promise.resolve(expect(logged('Redis is reachable again')).toHaveLength(1)),
      10_000,
    );
    const refused = await graphql(app, FILES, {}, alice.token);
    expect(refused.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await graphql(app, FILES, {}, other.token)).status).toBe(200);
  });

  it('ranks by the counts Postgres holds once Redis is back with the older order', async () => {
    await eventually(async () => {
      expect((await ranked()).nodes.map((node) => localId(node.id))).toEqual(await rankingInPostgres(app));
    }, 10_000);
    // And stays right: a count made now lands in the rebuilt order.
    await download(shares[0], 10);
    await app.settled();
    expect((await ranked()).nodes.map((node) => localId(node.id))).toEqual(await rankingInPostgres(app));
    expect((await rankingInPostgres(app))[0]).toBe(localId(shares[0]));
  });

  it('logged the outage once and the recovery once, however many requests failed over', () => {
    expect(logged('Redis is unreachable')).toHaveLength(1);
    expect(logged('Redis is unreachable')[0].level).toBe(50);
    expect(logged('Redis is reachable again')).toHaveLength(1);
  });
});
