import type http from 'node:http';
import { bareJsonRequest, comparedWithBare, startBaselineServer } from './baseline';
import type { Cleanups } from './cleanups';
import { requestJson, type JsonResponse } from './http-client';
import { runLoad, type LoadResult } from './load';
import {
  createDatabase,
  redisPrefix,
  routeExists,
  startPicvault,
  temporaryDirectory,
  withClient,
} from './picvault';
import type { ChildServer } from './processes';
import { loadRow, section, unavailable, type Row } from './report';

const SHARES = 100_000;
const READS = { count: 5000, concurrency: 16, maxSeconds: 120 };
const WARM_UP = { count: 300, concurrency: 16, maxSeconds: 60 };
const HOT_DOWNLOADS = { count: 2000, concurrency: 32, maxSeconds: 120 };

const RANKING_QUERY = `query { downloadRanking(first: 10) { totalCount nodes { id name downloadCount } } }`;
const RECORD_DOWNLOAD = `mutation ($id: ID!) { recordShareDownload(input: { id: $id }) { counted share { downloadCount } } }`;

interface RankingAnswer {
  data?: { downloadRanking?: { totalCount: number; nodes: { id: string; downloadCount: number }[] } };
  errors?: unknown;
}

/** A share's global id, as the API spells it (`Share:<uuid>`, base64url). */
const shareGlobalId = (shareId: string) => Buffer.from(`Share:${shareId}`).toString('base64url');

/**
 * 100 000 public shares by one account, each its own file and blob, written straight into the tables
 * (the API would take minutes): random counts, creation times spread over a year.
 */
async function seedShares(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, (client) =>
    client.query(
      `WITH sharer AS (
         INSERT INTO users (user_name, nick_name) VALUES ('bench_sharer', 'bench_sharer') RETURNING id
       ), seeded_blobs AS (
         INSERT INTO blobs (sha256, md5, size, content_type, storage_key, ref_count)
         SELECT encode(sha256(('bench-' || i)::bytea), 'hex'), md5('bench-' || i), 1024 + i,
                'application/octet-stream', 'blobs/00/bench-' || i, 1
         FROM generate_series(1, $1::int) AS i
         RETURNING id, md5
       ), seeded_nodes AS (
         INSERT INTO nodes (owner_id, kind, dir, name, blob_id)
         SELECT sharer.id, 'file', '/', 'shared-' || seeded_blobs.md5 || '.bin', seeded_blobs.id
         FROM seeded_blobs, sharer
         RETURNING id, owner_id, name, blob_id
       )
       INSERT INTO shares (node_id, owner_id, md5, name, pv, created_at)
       SELECT seeded_nodes.id, seeded_nodes.owner_id, seeded_blobs.md5, seeded_nodes.name,
              floor(random() * 1000000)::int, now() - random() * interval '365 days'
       FROM seeded_nodes JOIN seeded_blobs ON seeded_blobs.id = seeded_nodes.blob_id`,
      [SHARES],
    ),
  );
  await withClient(databaseUrl, (client) => client.query('ANALYZE'));
}

async function topTenFromDatabase(databaseUrl: string): Promise<string[]> {
  const { rows } = await withClient(databaseUrl, (client) =>
    client.query<{ id: string }>(`SELECT id FROM shares ORDER BY pv DESC, created_at DESC, id DESC LIMIT 10`),
  );
  return rows.map((row) => shareGlobalId(row.id));
}

/** A share nobody else touches, with its count set to zero, for the hot-share test. */
async function coldShare(databaseUrl: string, rank: number): Promise<string> {
  const { rows } = await withClient(databaseUrl, (client) =>
    client.query<{ id: string }>(
      `UPDATE shares SET pv = 0 WHERE id = (SELECT id FROM shares ORDER BY created_at, id OFFSET $1 LIMIT 1) RETURNING id`,
      [rank],
    ),
  );
  return rows[0].id;
}

async function countOf(databaseUrl: string, shareId: string): Promise<number> {
  const { rows } = await withClient(databaseUrl, (client) =>
    client.query<{ pv: number }>(`SELECT pv FROM shares WHERE id = $1`, [shareId]),
  );
  return rows[0].pv;
}

function failIf(condition: boolean, what: string, answer: JsonResponse): void {
  if (condition) throw new Error(`${what} (${answer.status}): ${JSON.stringify(answer.body).slice(0, 300)}`);
}

const rankingRequest = (server: ChildServer) => (_index: number, agent: http.Agent) =>
  requestJson(`${server.url}/graphql`, { agent, body: { query: RANKING_QUERY } }).then((answer) => {
    const ranking = (answer.body as RankingAnswer).data?.downloadRanking;
    failIf(answer.status !== 200 || ranking?.nodes.length !== 10, 'downloadRanking failed', answer);
  });

const pvdescRequest = (server: ChildServer) => (_index: number, agent: http.Agent) =>
  requestJson(`${server.url}/api/sharefiles?cmd=pvdesc`, { agent, body: { start: 0, count: 10 } }).then(
    (answer) => {
      const body = answer.body as { code?: number; files?: unknown[] };
      failIf(body.code !== 0 || body.files?.length !== 10, 'sharefiles?cmd=pvdesc failed', answer);
    },
  );

async function measureRun(
  server: ChildServer,
  label: string,
  databaseUrl: string,
  bare: LoadResult,
  hotRank: number,
  log: (line: string) => void,
): Promise<Row[]> {
  const rows: Row[] = [];
  const expected = await topTenFromDatabase(databaseUrl);
  const first = await requestJson(`${server.url}/graphql`, { body: { query: RANKING_QUERY } });
  const firstIds = (first.body as RankingAnswer).data?.downloadRanking?.nodes.map((share) => share.id);
  failIf(
    JSON.stringify(firstIds) !== JSON.stringify(expected),
    `downloadRanking ${label} disagrees with ORDER BY pv DESC, created_at DESC, id DESC`,
    first,
  );

  log(`downloadRanking ${label}`);
  await runLoad({ ...WARM_UP, send: rankingRequest(server) });
  const ranking = await runLoad({ ...READS, send: rankingRequest(server) });
  rows.push(loadRow(`GraphQL downloadRanking(first: 10) ${label}`, ranking, comparedWithBare(ranking, bare)));

  if (await routeExists(server, '/api/sharefiles?cmd=pvdesc')) {
    log(`sharefiles?cmd=pvdesc ${label}`);
    await runLoad({ ...WARM_UP, send: pvdescRequest(server) });
    const pvdesc = await runLoad({ ...READS, send: pvdescRequest(server) });
    rows.push(loadRow(`/api/sharefiles?cmd=pvdesc ${label}`, pvdesc, comparedWithBare(pvdesc, bare)));
  } else {
    rows.push(unavailable(`/api/sharefiles?cmd=pvdesc ${label}`, 'route missing'));
  }

  log(`recordShareDownload on one share ${label}`);
  const shareId = await coldShare(databaseUrl, hotRank);
  const hot = await runLoad({
    ...HOT_DOWNLOADS,
    send: async (_index, agent) => {
      const answer = await requestJson(`${server.url}/graphql`, {
        agent,
        body: { query: RECORD_DOWNLOAD, variables: { id: shareGlobalId(shareId) } },
      });
      const body = answer.body as { data?: { recordShareDownload?: { counted: boolean } }; errors?: unknown };
      failIf(
        answer.status !== 200 || !body.data?.recordShareDownload?.counted,
        'recordShareDownload failed',
        answer,
      );
    },
  });
  const pv = await countOf(databaseUrl, shareId);
  const succeeded = hot.requests - hot.failures;
  rows.push(
    loadRow(
      `GraphQL recordShareDownload, one share ${label}`,
      hot,
      `pv afterwards ${pv}`,
      `${pv === succeeded ? 'PASS' : 'FAIL'} pv = ${succeeded} requests`,
    ),
  );
  return rows;
}

/** Issue 4: the ranking's read rate against a bare server, with and without Redis, and a hot counter. */
export async function sharingFigures(cleanups: Cleanups, log: (line: string) => void): Promise<Row[]> {
  const describe = `${SHARES} shares; ${READS.count} requests at c=${READS.concurrency}, counter ${HOT_DOWNLOADS.count} at c=${HOT_DOWNLOADS.concurrency}`;
  const rows: Row[] = [section(`sharing: ${describe}`)];

  const work = await temporaryDirectory(cleanups, 'sharing');
  const bareServer = await startBaselineServer('bare JSON server', work, cleanups);
  log('bare JSON server');
  await runLoad({ ...WARM_UP, send: bareJsonRequest(bareServer) });
  const bare = await runLoad({ ...READS, send: bareJsonRequest(bareServer) });
  await bareServer.stop();
  rows.push(loadRow('bare Node JSON server (constant answer)', bare));

  const databaseUrl = await createDatabase(cleanups);
  const prefix = redisPrefix(cleanups);
  const runs = [
    { label: 'without Redis', redisPrefix: null, hotRank: 0 },
    { label: 'with Redis', redisPrefix: prefix, hotRank: 1 },
  ];
  let seeded = false;
  for (const run of runs) {
    const server = await startPicvault(
      `picvault (${run.label})`,
      { databaseUrl, redisPrefix: run.redisPrefix, dataDir: await temporaryDirectory(cleanups, 'data') },
      cleanups,
    );
    const probe = await requestJson(`${server.url}/graphql`, { body: { query: RANKING_QUERY } });
    if ((probe.body as RankingAnswer).errors) {
      await server.stop();
      return [...rows, unavailable('downloadRanking', 'not in the schema yet')];
    }
    if (!seeded) {
      log(`seeding ${SHARES} shares`);
      await seedShares(databaseUrl);
      seeded = true;
    }
    rows.push(...(await measureRun(server, run.label, databaseUrl, bare, run.hotRank, log)));
    await server.stop();
  }
  return rows;
}
