import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'pg';
import { bareJsonRequest, comparedWithBare, startBaselineServer } from './baseline';
import type { Cleanups } from './cleanups';
import { bestPass, DOWNLOAD_REPEATS, timedDownload, type Pass } from './downloads';
import {
  assertAnswer,
  downloadClient,
  multipartWithFile,
  postStream,
  requestJson,
  type DownloadClient,
  type JsonResponse,
} from './http-client';
import { runLoad } from './load';
import { createDatabase, redisPrefix, startPicvault, temporaryDirectory, withClient } from './picvault';
import type { ChildServer } from './processes';
import { formatMegabytes, formatRate, loadRow, ratioCheck, section, type Row } from './report';
import { generateFile, type SourceFile } from './source-file';

const FILES = 100_000;
const FOLDERS = 100;
const FILE_BYTES = 256 * 1024 ** 2;
const SEARCHES = { count: 3000, concurrency: 16, maxSeconds: 120 };
const WARM_UP = { count: 300, concurrency: 16, maxSeconds: 60 };
const UPLOAD_TIMEOUT_MS = 10 * 60_000;
/**
 * What the searches look for, in turn: four digits of the seeded names (`scan-004217.jpg`), each in
 * about 20 of them, so an answer is one page of paths and its cost is finding them, not sending them.
 */
const TERMS = ['4217', '8150', '3141', '2718', '9001', '5566', '7070', '1234'];

/** Spec 003's envelope; `code` 200 is success. */
interface Envelope<Data> {
  code?: number;
  data?: Data | null;
}

interface SearchData {
  file: string[];
  directory: string[];
}

const dataOf = <Data>(answer: JsonResponse) => (answer.body as Envelope<Data>).data;

function assertSuccess(answer: JsonResponse, what: string): void {
  assertAnswer((answer.body as Envelope<unknown>).code === 200, what, answer);
}

/** An account through the door itself, as a Netdisk client makes one; returns its token. */
async function netdiskSignIn(server: ChildServer, username: string): Promise<string> {
  const password = `bench-${randomBytes(8).toString('hex')}`;
  const account = { username, password, name: username, address: `${username}@example.com` };
  assertSuccess(
    await requestJson(`${server.url}/Netdisk/user/register`, { body: account }),
    'Netdisk register',
  );
  const login = await requestJson(`${server.url}/Netdisk/user/login`, { body: { username, password } });
  assertSuccess(login, 'Netdisk login');
  return dataOf<{ token: string }>(login)!.token;
}

/** `/api/uploadFile` into `folder`, the file streamed from disk; returns the stored path. */
async function netdiskUpload(
  server: ChildServer,
  token: string,
  folder: string,
  source: SourceFile,
): Promise<string> {
  const body = multipartWithFile({}, { field: 'file', filename: path.basename(source.path), source });
  const answer = await postStream(
    `${server.url}/Netdisk/api/uploadFile?destination=${encodeURIComponent(folder)}`,
    { 'content-type': body.contentType, authorization: token },
    body.parts,
    body.length,
    UPLOAD_TIMEOUT_MS,
  );
  assertSuccess(answer, '/Netdisk/api/uploadFile');
  return dataOf<{ destination: string }>(answer)!.destination;
}

/** The owner and blob of a file the API stored, so seeded rows can point where real ones do. */
async function storedFile(databaseUrl: string, username: string, name: string) {
  const { rows } = await withClient(databaseUrl, (client) =>
    client.query<{ owner_id: string; blob_id: string }>(
      `SELECT n.owner_id, n.blob_id FROM nodes n JOIN users u ON u.id = n.owner_id
        WHERE lower(u.user_name) = lower($1) AND n.dir = '/' AND n.name = $2`,
      [username, name],
    ),
  );
  return { ownerId: rows[0].owner_id, blobId: rows[0].blob_id };
}

/**
 * FOLDERS folders of FILES numbered files (`/album-07/scan-004207.png`), one minute apart, written
 * straight into the tables (uploads would take an hour), all holding the content of one file the API
 * stored. The statement adds to the blob's reference count and the owner's `used_bytes` itself: the
 * quota trigger would update the owner's row once per file, and 100 000 updates of one row in one
 * transaction take minutes, each walking past every version the ones before it left.
 */
const SEED_TREE = `
  WITH folders AS (
    INSERT INTO nodes (owner_id, kind, dir, name)
    SELECT $1, 'folder', '/', 'album-' || lpad(f::text, 2, '0') FROM generate_series(0, $3::int - 1) AS f
  ), files AS (
    INSERT INTO nodes (owner_id, kind, dir, name, blob_id, created_at, updated_at)
    SELECT $1, 'file', '/album-' || lpad((i % $3::int)::text, 2, '0') || '/',
           'scan-' || lpad(i::text, 6, '0') || '.' || (ARRAY['jpg', 'png', 'pdf', 'txt'])[1 + i % 4],
           $2, now() - i * interval '1 minute', now() - i * interval '1 minute'
    FROM generate_series(0, $4::int - 1) AS i
    RETURNING 1
  ), referenced AS (
    UPDATE blobs SET ref_count = ref_count + (SELECT count(*) FROM files) WHERE id = $2 RETURNING size
  )
  UPDATE users SET used_bytes = used_bytes + (SELECT count(*) FROM files) * (SELECT size FROM referenced)
   WHERE id = $1`;

/** What the triggers and the blob service would have kept, recounted: the seed's sums by hand. */
const SEED_CONSISTENT = `
  SELECT (SELECT used_bytes FROM users WHERE id = $1) =
           (SELECT sum(b.size) FROM nodes n JOIN blobs b ON b.id = n.blob_id WHERE n.owner_id = $1)
     AND (SELECT ref_count FROM blobs WHERE id = $2) = (SELECT count(*) FROM nodes WHERE blob_id = $2)
      AS consistent`;

async function seedTree(databaseUrl: string, ownerId: string, blobId: string): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query('BEGIN');
    // Only this transaction goes without triggers (and so without foreign-key checks).
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query(SEED_TREE, [ownerId, blobId, FOLDERS, FILES]);
    await client.query('COMMIT');
    const { rows } = await client.query<{ consistent: boolean }>(SEED_CONSISTENT, [ownerId, blobId]);
    if (!rows[0].consistent) throw new Error('the seeded tree disagrees with used_bytes or ref_count');
    // What autovacuum would do soon after: plans for a table it has never measured are guesses.
    await client.query('ANALYZE nodes');
  });
}

/** How many of the owner's files and folders each term should find, by the database's own count. */
async function expectedMatches(databaseUrl: string, ownerId: string): Promise<Map<string, SearchCounts>> {
  const { rows } = await withClient(databaseUrl, (client) =>
    client.query<{ term: string; files: number; folders: number }>(
      `SELECT term, count(*) FILTER (WHERE n.kind = 'file')::int AS files,
              count(*) FILTER (WHERE n.kind = 'folder')::int AS folders
         FROM unnest($2::text[]) AS term
         LEFT JOIN nodes n ON n.owner_id = $1 AND n.name ILIKE '%' || term || '%'
        GROUP BY term`,
      [ownerId, TERMS],
    ),
  );
  return new Map(rows.map((row) => [row.term, { files: row.files, folders: row.folders }]));
}

interface SearchCounts {
  files: number;
  folders: number;
}

/** One search of the whole tree, checked against the database's count of what it should find. */
const searchRequest =
  (server: ChildServer, token: string, expected: Map<string, SearchCounts>) =>
  async (index: number, agent: http.Agent) => {
    const term = TERMS[index % TERMS.length];
    const answer = await requestJson(`${server.url}/Netdisk/api/searchFile?destination=/&name=${term}`, {
      agent,
      headers: { authorization: token },
    });
    const found = dataOf<SearchData>(answer);
    const wanted = expected.get(term)!;
    assertAnswer(
      (answer.body as Envelope<unknown>).code === 200 &&
        found?.file.length === wanted.files &&
        found.directory.length === wanted.folders &&
        found.file.every((file) => file.includes(term)),
      `searchFile?name=${term} (want ${wanted.files} files, ${wanted.folders} folders)`,
      answer,
    );
  };

/**
 * The statements a search runs, once for files and once for folders, as DriveService.list writes
 * them: the first page in the default order (newest first) and the count. The select list is cut to
 * what keeps the join, which is all a plan depends on.
 */
const SEARCH_STATEMENTS = {
  page: `SELECT n.id, b.size FROM nodes n LEFT JOIN blobs b ON b.id = n.blob_id
          WHERE n.owner_id = $1 AND n.kind = $2 AND n.name ILIKE $3
          ORDER BY n.created_at DESC, n.id DESC LIMIT 101`,
  count: `SELECT count(*) FROM nodes n LEFT JOIN blobs b ON b.id = n.blob_id
           WHERE n.owner_id = $1 AND n.kind = $2 AND n.name ILIKE $3`,
};

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** What a plan reads: the indexes it scans, and "seq scan of <table>" for a table read whole. */
function accessPaths(node: PlanNode): string[] {
  const own =
    node['Index Name'] ??
    (node['Node Type'] === 'Seq Scan' ? `seq scan of ${node['Relation Name']}` : undefined);
  return [...(own ? [own] : []), ...(node.Plans ?? []).flatMap(accessPaths)];
}

/** The GIN index on names by its operator class, whatever a migration calls it. */
async function trigramIndex(client: Client): Promise<string | undefined> {
  const { rows } = await client.query<{ indexname: string }>(
    `SELECT indexname FROM pg_indexes WHERE tablename = 'nodes' AND indexdef LIKE '%gin_trgm_ops%'`,
  );
  return rows[0]?.indexname;
}

/**
 * Whether every statement of a search reads the trigram index, for every term, by EXPLAIN with the
 * values the server binds (it sends unnamed statements, which are planned for their values).
 */
async function searchPlanRow(databaseUrl: string, ownerId: string): Promise<Row> {
  return withClient(databaseUrl, async (client) => {
    const trigram = await trigramIndex(client);
    const seen = new Map<string, Set<string>>();
    const misses: string[] = [];
    for (const kind of ['file', 'folder']) {
      for (const [statement, sql] of Object.entries(SEARCH_STATEMENTS)) {
        const name = `${kind}s ${statement}`;
        for (const term of TERMS) {
          const { rows } = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
            `EXPLAIN (FORMAT JSON) ${sql}`,
            [ownerId, kind, `%${term}%`],
          );
          const paths = accessPaths(rows[0]['QUERY PLAN'][0].Plan);
          if (trigram === undefined || !paths.includes(trigram)) misses.push(`${name} for ${term}`);
          seen.set(name, (seen.get(name) ?? new Set()).add(paths.join(', ')));
        }
      }
    }
    const missed = misses.length > 3 ? [...misses.slice(0, 3), '…'] : misses;
    return {
      figure: 'search plan uses trigram index',
      result: misses.length ? 'no' : 'yes',
      // A statement planned two ways for different terms shows both, split by "|".
      reference: [...seen].map(([name, plans]) => `${name}: ${[...plans].join(' | ')}`).join('; '),
      check: misses.length
        ? `FAIL ${trigram ? missed.join(', ') : 'no gin_trgm_ops index'}`
        : `PASS ${trigram}`,
    };
  });
}

/**
 * The indexes of `nodes` the server's searches really read, per search, from Postgres's own counters
 * (the bench's own queries add a few scans in all). Read once the server has stopped: a backend's
 * counts are flushed by the time it has left pg_stat_activity.
 */
async function indexScansRow(databaseUrl: string, searches: number): Promise<Row> {
  return withClient(databaseUrl, async (client) => {
    for (let waited = 0; waited < 10_000; waited += 100) {
      const { rows } = await client.query<{ others: number }>(
        `SELECT count(*)::int AS others FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      if (rows[0].others === 0) break;
      await sleep(100);
    }
    const { rows } = await client.query<{ indexrelname: string; scans: string }>(
      `SELECT indexrelname, idx_scan AS scans FROM pg_stat_user_indexes
        WHERE relname = 'nodes' AND idx_scan >= $1 ORDER BY idx_scan DESC`,
      [searches / 10],
    );
    return {
      figure: '  index scans per search (server, pg_stat_user_indexes)',
      result: rows
        .map((row) => `${row.indexrelname} ${(Number(row.scans) / searches).toFixed(1)}`)
        .join(', '),
      reference: `over ${searches} searches`,
    };
  });
}

/**
 * Search rate in one user's tree of FILES files, against the bare JSON server, and its plan; returns
 * how many searches it sent, warm-up included.
 */
async function searchFigures(
  server: ChildServer,
  baseline: ChildServer,
  account: { databaseUrl: string; username: string; token: string },
  seed: SourceFile,
  log: (line: string) => void,
): Promise<{ rows: Row[]; searches: number }> {
  const { databaseUrl } = account;
  await netdiskUpload(server, account.token, '/', seed);
  const { ownerId, blobId } = await storedFile(databaseUrl, account.username, path.basename(seed.path));
  log(`seeding ${FILES} files in ${FOLDERS} folders`);
  await seedTree(databaseUrl, ownerId, blobId);
  const expected = await expectedMatches(databaseUrl, ownerId);

  log('bare JSON server');
  await runLoad({ ...WARM_UP, send: bareJsonRequest(baseline) });
  const bare = await runLoad({ ...SEARCHES, send: bareJsonRequest(baseline) });
  log(`searchFile in ${FILES} files`);
  const send = searchRequest(server, account.token, expected);
  const warmUp = await runLoad({ ...WARM_UP, send });
  const search = await runLoad({ ...SEARCHES, send });
  const hits = [...expected.values()].map((counts) => counts.files);
  const [fewest, most] = [Math.min(...hits), Math.max(...hits)];
  const rows = [
    loadRow(
      `/Netdisk/api/searchFile?name=<4 digits> (${fewest === most ? fewest : `${fewest}–${most}`} hits)`,
      search,
      comparedWithBare(search, bare),
    ),
    await searchPlanRow(databaseUrl, ownerId),
  ];
  return { rows, searches: warmUp.requests + search.requests };
}

/** The rows of one way to download the file, against the textbook Node server's read of it. */
function downloadRows(figure: string, passes: Pass[], node: Pass): Row[] {
  const best = bestPass(passes);
  return [
    {
      figure,
      result: formatRate(best.rate),
      reference: `minimal Node server ${formatRate(node.rate)}`,
      check: ratioCheck(best.rate, node.rate, 0.7),
    },
    {
      figure: '  server CPU time per download',
      result: `${best.cpuSeconds.toFixed(2)} s`,
      reference: `minimal Node server ${node.cpuSeconds.toFixed(2)} s`,
    },
  ];
}

/**
 * The stored file through `/api/downloadFile` and through a direct link, beside the same bytes piped
 * from disk by the baseline server, in interleaved rounds so that other load falls on each alike.
 */
async function downloadFigures(
  client: DownloadClient,
  source: SourceFile,
  servers: { picvault: ChildServer; baseline: ChildServer },
  token: string,
  log: (line: string) => void,
): Promise<Row[]> {
  const stored = await netdiskUpload(servers.picvault, token, '/', source);
  const shared = await requestJson(
    `${servers.picvault.url}/Netdisk/api/shareFile?destination=${encodeURIComponent(stored)}&time=900`,
    { headers: { authorization: token } },
  );
  assertSuccess(shared, '/Netdisk/api/shareFile');
  const urls = {
    api: `${servers.picvault.url}/Netdisk/api/downloadFile?destination=${encodeURIComponent(stored)}`,
    direct: dataOf<{ downloadURL: string }>(shared)!.downloadURL,
    node: `${servers.baseline.url}/download/${path.basename(source.path)}`,
  };
  const passes: Record<keyof typeof urls, Pass[]> = { api: [], direct: [], node: [] };
  for (let round = 1; round <= DOWNLOAD_REPEATS; round += 1) {
    log(`download round ${round} of ${DOWNLOAD_REPEATS} (${client.name}): downloadFile, direct link, Node`);
    const { picvault, baseline } = servers;
    passes.api.push(
      await timedDownload(client, urls.api, picvault.pid, source.size, { authorization: token }),
    );
    passes.direct.push(await timedDownload(client, urls.direct, picvault.pid, source.size));
    passes.node.push(await timedDownload(client, urls.node, baseline.pid, source.size));
  }
  const node = bestPass(passes.node);
  const best = `${client.name}, best of ${DOWNLOAD_REPEATS}`;
  return [
    ...downloadRows(`download /Netdisk/api/downloadFile (${best})`, passes.api, node),
    ...downloadRows(`direct link /Netdisk/download/<token> (${best})`, passes.direct, node),
    { figure: '  the same file piped by a minimal Node server', result: formatRate(node.rate) },
  ];
}

/** The Netdisk door (spec 003): search in a large tree, and downloads of a large file both ways. */
export async function netdiskFigures(cleanups: Cleanups, log: (line: string) => void): Promise<Row[]> {
  const describe = `${FILES} files in ${FOLDERS} folders, ${SEARCHES.count} searches at c=${SEARCHES.concurrency}; one ${formatMegabytes(FILE_BYTES)} file`;
  const work = await temporaryDirectory(cleanups, 'netdisk');
  log(`generating ${formatMegabytes(FILE_BYTES)} of random bytes`);
  const source = await generateFile(path.join(work, 'netdisk-big.bin'), FILE_BYTES);
  const seed = await generateFile(path.join(work, 'seed.txt'), 1024);
  const baseline = await startBaselineServer('baseline server (netdisk)', work, cleanups);
  const databaseUrl = await createDatabase(cleanups);
  const server = await startPicvault(
    'picvault (netdisk)',
    { databaseUrl, redisPrefix: redisPrefix(cleanups), dataDir: await temporaryDirectory(cleanups, 'data') },
    cleanups,
  );
  const username = `bench_${randomBytes(4).toString('hex')}`;
  const token = await netdiskSignIn(server, username);

  const downloads = await downloadFigures(
    downloadClient(),
    source,
    { picvault: server, baseline },
    token,
    log,
  );
  // The search goes last: its index counts are read once the server has stopped.
  const search = await searchFigures(server, baseline, { databaseUrl, username, token }, seed, log);
  await server.stop();
  await baseline.stop();
  return [
    section(`netdisk: ${describe}`),
    ...search.rows,
    await indexScansRow(databaseUrl, search.searches),
    ...downloads,
  ];
}
