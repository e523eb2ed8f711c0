import { fromGlobalId, IdType, toGlobalId } from '../../src/schema/global-id';
import { signUp, type TestUser } from '../helpers/accounts';
import { deleteItem, uploadFile } from '../helpers/files';
import { graphql } from '../helpers/http';
import { startTestApp, type TestApp } from '../helpers/test-app';

const SHARE_FILE = `mutation ($id: ID!) { shareFile(input: { fileId: $id }) { share { id name } } }`;
const CANCEL_SHARE = `mutation ($id: ID!) {
  cancelShare(input: { id: $id }) { deletedIds userErrors { code field message } }
}`;
const RECORD_DOWNLOAD = `mutation ($id: ID!) {
  recordShareDownload(input: { id: $id }) { share { downloadCount } counted }
}`;
const RANKING = `query ($first: Int, $after: String, $last: Int, $before: String) {
  downloadRanking(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id name downloadCount } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
/** The Redis key of the ranking (under the app's REDIS_PREFIX, which the client adds). */
const RANKING_KEY = 'ranking:shares';

interface RankedShareData {
  id: string;
  name: string;
  downloadCount: number;
}

interface RankingPage {
  totalCount: number;
  edges: { cursor: string; node: RankedShareData }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

const nodesOf = (page: RankingPage) => page.edges.map((edge) => edge.node);
const idsOf = (page: RankingPage) => page.edges.map((edge) => edge.node.id);

const codeOf = (answer: { errors?: { extensions?: { code?: string } }[] }) =>
  answer.errors?.[0].extensions?.code;

/** The row id behind a global id, for looking at the database and at Redis. */
function localId(id: string): string {
  const decoded = fromGlobalId(id);
  if (!decoded) throw new Error(`${id} is not a global id`);
  return decoded.localId;
}

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

  async function sharedFile(name: string, downloads = 0): Promise<{ fileId: string; shareId: string }> {
    const file = await uploadFile(app, alice.token, name, `content of ${name}`);
    const shared = await graphql<{ shareFile: { share: { id: string } } }>(
      app,
      SHARE_FILE,
      { id: file.id },
      alice.token,
    );
    const shareId = shared.data!.shareFile.share.id;
    for (let i = 0; i < downloads; i += 1) await graphql(app, RECORD_DOWNLOAD, { id: shareId });
    return { fileId: file.id, shareId };
  }

  const ranking = async (variables: Record<string, number | string | null> = {}) => {
    const answer = await graphql<{ downloadRanking: RankingPage }>(app, RANKING, variables);
    expect(answer.errors).toBeUndefined();
    return answer.data!.downloadRanking;
  };

  /** The whole ranking as Postgres orders it, as global ids. */
  const expectedOrder = async () =>
    (
      await app.dataSource.query<{ id: string }[]>(
        `SELECT id FROM shares ORDER BY pv DESC, created_at DESC, id DESC`,
      )
    ).map((row) => toGlobalId(IdType.SHARE, row.id));

  /**
   * The whole ranking, `size` at a time, following each page's end cursor; `between` runs after each
   * page but the last, with the number of pages read so far. Checks every page's pageInfo.
   */
  async function pageThrough(
    size: number,
    between: (pages: number) => Promise<void> = async () => undefined,
  ): Promise<string[]> {
    const ids: string[] = [];
    let after: string | null = null;
    for (let pages = 1; ; pages += 1) {
      const page = await ranking({ first: size, after });
      expect(page.edges.length).toBeLessThanOrEqual(size);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      ids.push(...idsOf(page));
      if (!page.pageInfo.hasNextPage) return ids;
      expect(page.edges).toHaveLength(size);
      after = page.pageInfo.endCursor;
      await between(pages);
    }
  }

  it('ranks shares by downloads, then newest first, a page at a time', async () => {
    const low = await sharedFile('low.txt', 1);
    const top = await sharedFile('top.txt', 3);
    const olderTie = await sharedFile('older-tie.txt', 2);
    const newerTie = await sharedFile('newer-tie.txt', 2);
    const untouched = await sharedFile('untouched.txt');

    const whole = await ranking({ first: 100 });
    expect(whole.totalCount).toBe(5);
    expect(nodesOf(whole)).toEqual([
      { id: top.shareId, name: 'top.txt', downloadCount: 3 },
      { id: newerTie.shareId, name: 'newer-tie.txt', downloadCount: 2 },
      { id: olderTie.shareId, name: 'older-tie.txt', downloadCount: 2 },
      { id: low.shareId, name: 'low.txt', downloadCount: 1 },
      { id: untouched.shareId, name: 'untouched.txt', downloadCount: 0 },
    ]);
    expect(idsOf(whole)).toEqual(await expectedOrder());
    expect(whole.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });

    // The page of two after the first share, as `offset: 1, limit: 2` once gave it.
    const first = await ranking({ first: 1 });
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const page = await ranking({ first: 2, after: first.pageInfo.endCursor });
    expect(page.totalCount).toBe(5);
    expect(nodesOf(page).map((node) => node.name)).toEqual(['newer-tie.txt', 'older-tie.txt']);
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    expect((await ranking()).edges).toHaveLength(5);

    const beyond = await ranking({ after: whole.pageInfo.endCursor });
    expect(beyond.edges).toEqual([]);
    expect(beyond.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: null,
      endCursor: null,
    });
  });

  it('breaks ties exactly as Postgres does, even between shares made in the same instant', async () => {
    for (let i = 0; i < 4; i += 1) await sharedFile(`tie-${i}.txt`);
    await app.dataSource.query(
      `UPDATE shares SET created_at = '2024-01-01T00:00:00Z' WHERE name LIKE 'tie-%'`,
    );
    if (app.redis) await app.redis.del(RANKING_KEY);
    expect(idsOf(await ranking({ first: 100 }))).toEqual(await expectedOrder());
  });

  it('counts 1 000 concurrent downloads exactly, in Postgres and in the ranking', async () => {
    const { shareId } = await sharedFile('rush.txt');
    await inBatches(1000, 50, () => graphql(app, RECORD_DOWNLOAD, { id: shareId }));

    const [row] = await app.dataSource.query<{ pv: number }[]>(`SELECT pv FROM shares WHERE id = $1`, [
      localId(shareId),
    ]);
    expect(row.pv).toBe(1000);
    expect(nodesOf(await ranking({ first: 1 }))[0]).toEqual({
      id: shareId,
      name: 'rush.txt',
      downloadCount: 1000,
    });
    if (app.redis) {
      const [topMember, topScore] = await app.redis.zrevrange(RANKING_KEY, 0, 0, 'WITHSCORES');
      expect(topMember).toMatch(new RegExp(`^\\d{17}:${localId(shareId)}$`));
      expect(topScore).toBe('1000');
    }
  });

  it('drops a share from the ranking when it is cancelled or its file deleted', async () => {
    const cancelled = await sharedFile('cancelled.txt', 1);
    const deleted = await sharedFile('deleted.txt', 1);
    const before = await ranking({ first: 100 });
    expect(idsOf(before)).toEqual(expect.arrayContaining([cancelled.shareId, deleted.shareId]));

    const cancelling = await graphql(app, CANCEL_SHARE, { id: cancelled.shareId }, alice.token);
    expect(cancelling.data).toEqual({ cancelShare: { deletedIds: [cancelled.shareId], userErrors: [] } });
    await deleteItem(app, alice.token, deleted.fileId);

    const after = await ranking({ first: 100 });
    expect(after.totalCount).toBe(before.totalCount - 2);
    expect(idsOf(after)).toEqual(await expectedOrder());
    expect(idsOf(after)).not.toContain(cancelled.shareId);
    expect(idsOf(after)).not.toContain(deleted.shareId);
    if (app.redis) {
      // The complete-marker is the one member that is not a share.
      expect(await app.redis.zcard(RANKING_KEY)).toBe(after.totalCount + 1);
    }
  });

  it('pages through the whole ranking with cursors, without repeats or gaps, also when a share not yet reached goes', async () => {
    // Ties on downloads, and on downloads and time together, so that every key of the order counts.
    for (let i = 0; i < 9; i += 1) await sharedFile(`paged-${i}.txt`, i % 3);
    await app.dataSource.query(
      `UPDATE shares SET created_at = '2024-02-02T00:00:00Z' WHERE name IN ('paged-1.txt', 'paged-4.txt', 'paged-7.txt')`,
    );
    if (app.redis) await app.redis.del(RANKING_KEY);

    const expected = await expectedOrder();
    expect(expected.length).toBeGreaterThanOrEqual(9);
    const paged = await pageThrough(2);
    expect(new Set(paged).size).toBe(paged.length);
    expect(paged).toEqual(expected);
    if (app.redis) {
      // The pages came from a ranking in Redis, in the same order.
      const members = await app.redis.zrevrange(RANKING_KEY, 0, -1);
      expect(members.filter((member) => member !== 'complete').map((member) => member.split(':')[1])).toEqual(
        expected.map(localId),
      );
    }

    // Shares that the paging has not reached yet go between two pages: one cancelled, one with its file.
    const files = await app.dataSource.query<{ id: string; node_id: string }[]>(
      `SELECT id, node_id FROM shares`,
    );
    const fileOf = new Map(files.map((row) => [toGlobalId(IdType.SHARE, row.id), row.node_id]));
    const [cancelled, deleted] = [expected[5], expected.at(-2)!];
    const gone = await pageThrough(2, async (pages) => {
      if (pages === 1) {
        const answer = await graphql(app, CANCEL_SHARE, { id: cancelled }, alice.token);
        expect(answer.data).toEqual({ cancelShare: { deletedIds: [cancelled], userErrors: [] } });
      }
      if (pages === 2) await deleteItem(app, alice.token, toGlobalId(IdType.FILE, fileOf.get(deleted)!));
    });
    expect(new Set(gone).size).toBe(gone.length);
    expect(gone).toEqual(expected.filter((id) => id !== cancelled && id !== deleted));
    expect(gone).toEqual(await expectedOrder());
  });

  it('validates paging: first and last 0..100, not both, and only cursors of the ranking', async () => {
    await sharedFile('validated.txt');
    const newest = await graphql<{ sharedFiles: { pageInfo: { endCursor: string } } }>(
      app,
      `
        query {
          sharedFiles(first: 1) {
            pageInfo {
              endCursor
            }
          }
        }
      `,
    );
    const foreignCursor = newest.data!.sharedFiles.pageInfo.endCursor;
    expect(foreignCursor).toEqual(expect.any(String));
    for (const variables of [
      { first: -1 },
      { first: 101 },
      { last: -1 },
      { last: 101 },
      { first: 1, last: 1 },
      { after: 'not a cursor' },
      { before: 'not a cursor' },
      { after: foreignCursor },
    ]) {
      expect([variables, codeOf(await graphql(app, RANKING, variables))]).toEqual([
        variables,
        'BAD_USER_INPUT',
      ]);
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
    const shared = await graphql<{ shareFile: { share: { id: string } } }>(
      app,
      SHARE_FILE,
      { id: file.id },
      alice.token,
    );
    const shareId = shared.data!.shareFile.share.id;
    for (let i = 0; i < downloads; i += 1) await graphql(app, RECORD_DOWNLOAD, { id: shareId });
    return shareId;
  }

  const ranking = async () =>
    (await graphql<{ downloadRanking: RankingPage }>(app, RANKING, { first: 100 })).data!.downloadRanking;

  it('rebuilds the same ranking after Redis loses it', async () => {
    for (let i = 0; i < 6; i += 1) await sharedFile(`file-${i}.txt`, i % 3);
    const before = await ranking();
    expect(before.totalCount).toBe(6);

    await app.redis!.del(RANKING_KEY);
    expect(await ranking()).toEqual(before);
    expect(await app.redis!.exists(RANKING_KEY)).toBe(1);

    await app.redis!.del(RANKING_KEY);
    const concurrent = await Promise.all(Array.from({ length: 10 }, ranking));
    for (const answer of concurrent) expect(answer).toEqual(before);
    expect(await app.redis!.zcard(RANKING_KEY)).toBe(7);
  });

  it('keeps counting into a ranking that is being rebuilt', async () => {
    const shareId = await sharedFile('busy.txt', 0);
    await app.redis!.del(RANKING_KEY);
    await Promise.all([
      ...Array.from({ length: 20 }, () => graphql(app, RECORD_DOWNLOAD, { id: shareId })),
      ...Array.from({ length: 5 }, ranking),
    ]);
    const answer = await ranking();
    expect(nodesOf(answer).find((node) => node.id === shareId)?.downloadCount).toBe(20);
    const [row] = await app.dataSource.query<{ created_us: string }[]>(
      `SELECT (extract(epoch FROM created_at) * 1000000)::bigint::text AS created_us FROM shares WHERE id = $1`,
      [localId(shareId)],
    );
    const member = `${row.created_us.padStart(17, '0')}:${localId(shareId)}`;
    expect(await app.redis!.zscore(RANKING_KEY, member)).toBe('20');
  });

  it('keeps only fixed names in Redis, never user text', async () => {
    await signUp(app, 'ranking:shares');
    await sharedFile('ranking:shares', 1);
    await ranking();
    const prefix = app.config.REDIS_PREFIX;
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await app.redis!.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
    expect(keys).toContain(`${prefix}${RANKING_KEY}`);
    for (const key of keys) {
      expect(key.slice(prefix.length)).toMatch(
        /^(ranking:shares(:(lock|pending|removed|generation|build:[0-9a-f]{32}))?|cache:session:[0-9a-f]{64}|limit:(login-account|login-address|register-address|counts):[0-9a-f]{64})$/,
      );
    }
    const members = await app.redis!.zrange(RANKING_KEY, 0, -1);
    for (const member of members) expect(member).toMatch(/^(complete|\d{17}:[0-9a-f-]{36})$/);
  });
});
