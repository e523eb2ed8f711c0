import { signUp, type TestUser } from '../helpers/accounts';
import { uploadFile } from '../helpers/files';
import { graphql } from '../helpers/http';
import { startTestApp, type TestApp } from '../helpers/test-app';

const SHARE_FILE = `mutation ($id: ID!) { shareFile(id: $id) { id name } }`;
const CANCEL_SHARE = `mutation ($id: ID!) { cancelShare(id: $id) }`;
const RECORD_DOWNLOAD = `mutation ($shareId: ID!) { recordSharedDownload(shareId: $shareId) { pv } }`;
const RANKING = `query ($offset: Int, $limit: Int) {
  downloadRanking(offset: $offset, limit: $limit) { totalCount entries { shareId name pv } }
}`;
const DELETE = `mutation ($id: ID!) { deleteNode(id: $id) }`;

interface RankingPage {
  totalCount: number;
  entries: { shareId: string; name: string; pv: number }[];
}

const codeOf = (answer: { errors?: { extensions?: { code?: string } }[] }) =>
  answer.errors?.[0].extensions?.code;

/** Runs `count` calls of `task`, at most `concurrency` at a time. */
async function inBatches(count: number, concurrency: number, task: () => Promise<unknown>): Promise<void> {
  for (let done = 0; done < count; done += concurrency) {
    await Promise.all(Array.from({ length: Math.min(concurrency, count - done) }, task));
  }
}

describe.each([
  ['with Redis', true],
  ['without Redis', false],
])('download ranking %s', (_label, redis) => {
  let app: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    app = await startTestApp({ redis });
    alice = await signUp(app);
  });
  afterAll(() => app.close());

  async function sharedFile(name: string, downloads = 0): Promise<{ nodeId: string; shareId: string }> {
    const file = await uploadFile(app, alice.token, name, `content of ${name}`);
    const shared = await graphql<{ shareFile: { id: string } }>(
      app,
      SHARE_FILE,
      { id: file.id },
      alice.token,
    );
    const shareId = shared.data!.shareFile.id;
    for (let i = 0; i < downloads; i += 1) await graphql(app, RECORD_DOWNLOAD, { shareId });
    return { nodeId: file.id, shareId };
  }

  const ranking = async (variables: Record<string, number> = {}) =>
    (await graphql<{ downloadRanking: RankingPage }>(app, RANKING, variables)).data!.downloadRanking;

  const expectedOrder = async () =>
    (
      await app.dataSource.query<{ id: string }[]>(
        `SELECT id FROM shares ORDER BY pv DESC, created_at DESC, id`,
      )
    ).map((row) => row.id);

  it('ranks shares by downloads, then newest first, a page at a time', async () => {
    const low = await sharedFile('low.txt', 1);
    const top = await sharedFile('top.txt', 3);
    const olderTie = await sharedFile('older-tie.txt', 2);
    const newerTie = await sharedFile('newer-tie.txt', 2);
    const untouched = await sharedFile('untouched.txt');

    const whole = await ranking({ limit: 1000 });
    expect(whole.totalCount).toBe(5);
    expect(whole.entries).toEqual([
      { shareId: top.shareId, name: 'top.txt', pv: 3 },
      { shareId: newerTie.shareId, name: 'newer-tie.txt', pv: 2 },
      { shareId: olderTie.shareId, name: 'older-tie.txt', pv: 2 },
      { shareId: low.shareId, name: 'low.txt', pv: 1 },
      { shareId: untouched.shareId, name: 'untouched.txt', pv: 0 },
    ]);
    expect(whole.entries.map((entry) => entry.shareId)).toEqual(await expectedOrder());

    const page = await ranking({ offset: 1, limit: 2 });
    expect(page.totalCount).toBe(5);
    expect(page.entries.map((entry) => entry.name)).toEqual(['newer-tie.txt', 'older-tie.txt']);
    expect((await ranking()).entries).toHaveLength(5);
    expect((await ranking({ offset: 10 })).entries).toEqual([]);
  });

  it('breaks ties exactly as Postgres does, even between shares made in the same instant', async () => {
    for (let i = 0; i < 4; i += 1) await sharedFile(`tie-${i}.txt`);
    await app.dataSource.query(
      `UPDATE shares SET created_at = '2024-01-01T00:00:00Z' WHERE name LIKE 'tie-%'`,
    );
    if (app.redis) await app.redis.del('ranking:downloads');
    expect((await ranking({ limit: 1000 })).entries.map((entry) => entry.shareId)).toEqual(
      await expectedOrder(),
    );
  });

  it('counts 1 000 concurrent downloads exactly, in Postgres and in the ranking', async () => {
    const { shareId } = await sharedFile('rush.txt');
    await inBatches(1000, 50, () => graphql(app, RECORD_DOWNLOAD, { shareId }));

    const [row] = await app.dataSource.query<{ pv: number }[]>(`SELECT pv FROM shares WHERE id = $1`, [
      shareId,
    ]);
    expect(row.pv).toBe(1000);
    expect((await ranking({ limit: 1 })).entries[0]).toEqual({ shareId, name: 'rush.txt', pv: 1000 });
    if (app.redis) {
      const [, topScore] = await app.redis.zrevrange('ranking:downloads', 0, 0, 'WITHSCORES');
      expect(topScore).toBe('1000');
    }
  });

  it('drops a share from the ranking when it is cancelled or its file deleted', async () => {
    const cancelled = await sharedFile('cancelled.txt', 1);
    const deleted = await sharedFile('deleted.txt', 1);
    const before = await ranking({ limit: 1000 });
    expect(before.entries.map((entry) => entry.shareId)).toEqual(
      expect.arrayContaining([cancelled.shareId, deleted.shareId]),
    );

    await graphql(app, CANCEL_SHARE, { id: cancelled.nodeId }, alice.token);
    await graphql(app, DELETE, { id: deleted.nodeId }, alice.token);

    const after = await ranking({ limit: 1000 });
    expect(after.totalCount).toBe(before.totalCount - 2);
    expect(after.entries.map((entry) => entry.shareId)).toEqual(await expectedOrder());
    if (app.redis) {
      // The complete-marker is the one member that is not a share.
      expect(await app.redis.zcard('ranking:downloads')).toBe(after.totalCount + 1);
    }
  });

  it('validates paging: offset >= 0 and limit 1..1000', async () => {
    for (const variables of [{ offset: -1 }, { limit: 0 }, { limit: 1001 }]) {
      expect(codeOf(await graphql(app, RANKING, variables))).toBe('BAD_USER_INPUT');
    }
  });
});

describe('download ranking kept in Redis', () => {
  let app: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    app = await startTestApp({ redis: true });
    alice = await signUp(app);
  });
  afterAll(() => app.close());

  async function sharedFile(name: string, downloads: number): Promise<string> {
    const file = await uploadFile(app, alice.token, name, `content of ${name}`);
    const shared = await graphql<{ shareFile: { id: string } }>(
      app,
      SHARE_FILE,
      { id: file.id },
      alice.token,
    );
    const shareId = shared.data!.shareFile.id;
    for (let i = 0; i < downloads; i += 1) await graphql(app, RECORD_DOWNLOAD, { shareId });
    return shareId;
  }

  const ranking = async () =>
    (await graphql<{ downloadRanking: RankingPage }>(app, RANKING, { limit: 1000 })).data!.downloadRanking;

  it('rebuilds the same ranking after Redis loses it', async () => {
    for (let i = 0; i < 6; i += 1) await sharedFile(`file-${i}.txt`, i % 3);
    const before = await ranking();
    expect(before.totalCount).toBe(6);

    await app.redis!.del('ranking:downloads');
    expect(await ranking()).toEqual(before);
    expect(await app.redis!.exists('ranking:downloads')).toBe(1);

    await app.redis!.del('ranking:downloads');
    const concurrent = await Promise.all(Array.from({ length: 10 }, ranking));
    for (const answer of concurrent) expect(answer).toEqual(before);
    expect(await app.redis!.zcard('ranking:downloads')).toBe(7);
  });

  it('keeps counting into a ranking that is being rebuilt', async () => {
    const shareId = await sharedFile('busy.txt', 0);
    await app.redis!.del('ranking:downloads');
    await Promise.all([
      ...Array.from({ length: 20 }, () => graphql(app, RECORD_DOWNLOAD, { shareId })),
      ...Array.from({ length: 5 }, ranking),
    ]);
    const answer = await ranking();
    expect(answer.entries.find((entry) => entry.shareId === shareId)?.pv).toBe(20);
    const [row] = await app.dataSource.query<{ created_us: string }[]>(
      `SELECT (extract(epoch FROM created_at) * 1000000)::bigint::text AS created_us FROM shares WHERE id = $1`,
      [shareId],
    );
    const scores = await app.redis!.zrange('ranking:downloads', 0, -1, 'WITHSCORES');
    const member = scores.findIndex((value) => value.startsWith(row.created_us.padStart(17, '0')));
    expect(scores[member + 1]).toBe('20');
  });

  it('keeps only fixed names in Redis, never user text', async () => {
    await signUp(app, 'ranking:downloads');
    await sharedFile('ranking:downloads', 1);
    await ranking();
    const prefix = app.config.REDIS_PREFIX;
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await app.redis!.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
    expect(keys).toContain(`${prefix}ranking:downloads`);
    for (const key of keys) {
      expect(key.slice(prefix.length)).toMatch(
        /^(ranking:downloads|session:[0-9a-f]{64}|limit:(login-account|login-address|register-address):[0-9a-f]{64})$/,
      );
    }
    const members = await app.redis!.zrange('ranking:downloads', 0, -1);
    for (const member of members) expect(member).toMatch(/^(complete|\d{17}:[0-9a-f-]{36})$/);
  });
});
