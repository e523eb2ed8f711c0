/**
 * The request path (issue 13): many small requests at 32 connections with autocannon, each against a
 * bare Node server measured in the same run, the way an image host is used all day.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { startBaselineServer } from './baseline';
import type { Cleanups } from './cleanups';
import { imageHostAccount, uploadSharedPicture } from './fixtures';
import {
  createDatabase,
  graphql,
  redisPrefix,
  startPicvault,
  temporaryDirectory,
  type FileInMemory,
} from './picvault';
import { noisyPng } from './png';
import { percentile } from './load';
import { servingRss, type ChildServer } from './processes';
import { belowCheck, section, type Row } from './report';

const CONNECTIONS = 32;
const REQUESTS = Number(process.env.BENCH_REQUESTS) || 20_000;
const WARM_UP_REQUESTS = 2_000;
const MAX_SECONDS = 60;
const MAX_WORKER_RSS = 200e6;
/** p99 may be at most this many times p50: a tail beyond it is queuing or pauses, not work. */
const MAX_TAIL = 5;

interface Request {
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** A body for every request, or one per request (for writes that must differ, such as new names). */
  body?: string | ((index: number) => string);
  /** What the answer's body must contain; status 200 is always checked. File answers are not read. */
  contains?: string;
}

interface Measured {
  perSecond: number;
  p50: number;
  p99: number;
  requests: number;
  failures: number;
  firstFailure?: string;
}

/** Numbers the bodies of writes across every run, warm-ups included, so that no two are alike. */
let serial = 0;

/** `count` requests (fewer if `MAX_SECONDS` runs out) at 32 connections, keep-alive, each checked. */
async function load(base: string, request: Request, count: number): Promise<Measured> {
  let failures = 0;
  let firstFailure: string | undefined;
  const body = request.body;
  const options: autocannon.Options = {
    url: base,
    connections: CONNECTIONS,
    amount: count,
    timeout: 30,
    requests: [
      {
        method: request.method ?? 'GET',
        path: request.path,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...request.headers,
        },
        ...(typeof body === 'function'
          ? { setupRequest: (sent) => ({ ...sent, body: body(serial++) }) }
          : body === undefined
            ? {}
            : { body }),
        // Only answers that must be read are: a client that buffers every image measures itself.
        ...(request.contains === undefined
          ? {}
          : {
              onResponse: (status: number, text: string) => {
                if (status === 200 && text.includes(request.contains!)) return;
                failures += 1;
                firstFailure ??= `${status} ${text.slice(0, 200)}`;
              },
            }),
      },
    ],
  };
  // autocannon ends a counted run on its next one-second tick: its own duration is whole seconds,
  // so the rate is taken from the first request sent to the last answer received. Its latency
  // histogram keeps whole milliseconds, too coarse for answers that take one or two: percentiles come
  // from each answer's own time, which it measures to the microsecond.
  const started = process.hrtime.bigint();
  let lastAnswer = started;
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(options, (error, finished) => {
      clearTimeout(limit);
      if (error) reject(error as Error);
      else resolve(finished);
    });
    instance.on('response', (_client, _status, _bytes, milliseconds: number) => {
      lastAnswer = process.hrtime.bigint();
      latencies.push(milliseconds);
    });
    const limit = setTimeout(() => instance.stop(), MAX_SECONDS * 1000);
  });
  const seconds = Number(lastAnswer - started) / 1e9;
  const answered = result.requests.total;
  const refused = result.non2xx + result.errors + result.timeouts;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: (answered - refused) / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    requests: answered,
    failures: failures + refused,
    firstFailure: firstFailure ?? (refused ? `${result.non2xx} non-2xx, ${result.errors} errors` : undefined),
  };
}

interface Comparison {
  figure: string;
  picvault: Request;
  bare: Request;
  /** The least share of the bare server's rate that passes; none: reported only. */
  budget?: number;
  /** Requests that write (a new file each): fewer of them, so that the run does not fill a table. */
  count?: number;
}

const rate = (m: Measured) => `${m.perSecond.toFixed(0)} req/s`;
const latency = (m: Measured) => `p50 ${m.p50.toFixed(2)} / p99 ${m.p99.toFixed(2)} ms`;

function row(comparison: Comparison, picvault: Measured, bare: Measured): Row {
  const ratio = picvault.perSecond / bare.perSecond;
  const checks: string[] = [];
  if (comparison.budget !== undefined) {
    const pass = ratio >= comparison.budget;
    checks.push(`${pass ? 'PASS' : 'FAIL'} ≥ ${(comparison.budget * 100).toFixed(0)}%`);
  }
  const tail = picvault.p99 / picvault.p50;
  checks.push(`${tail <= MAX_TAIL ? 'PASS' : 'FAIL'} p99 ${tail.toFixed(1)}× p50 ≤ ${MAX_TAIL}×`);
  if (picvault.failures) checks.unshift(`FAIL ${picvault.failures} wrong: ${picvault.firstFailure ?? ''}`);
  return {
    figure: comparison.figure,
    result: rate(picvault),
    latency: latency(picvault),
    reference: `bare ${rate(bare)}, ${latency(bare)}: ${(ratio * 100).toFixed(0)}%`,
    check: checks.join('; '),
  };
}

/** Everything the requests read: an account, two pictures with their shares, a signed URL, tokens. */
interface Fixture {
  session: string;
  userName: string;
  /** The spec-001 door's token for `userName`. */
  imageHostToken: string;
  apiToken: string;
  small: { md5: string; pictureUrl: string; shareUrl: string; signedUrl: string };
  large: { pictureUrl: string; signedUrl: string };
}

async function prepare(server: ChildServer, pictures: FileInMemory[]): Promise<Fixture> {
  const account = await imageHostAccount(server, 'bench_reader');
  const { createApiToken } = await graphql<{ createApiToken: { token: string | null } }>(
    server,
    `
      mutation {
        createApiToken(input: { name: "bench", scope: UPLOAD }) {
          token
        }
      }
    `,
    {},
    account.session,
  );
  if (!createApiToken.token) throw new Error('createApiToken failed');
  const [small, large] = [
    await uploadSharedPicture(server, account.session, pictures[0]),
    await uploadSharedPicture(server, account.session, pictures[1]),
  ];
  return {
    session: account.session,
    userName: account.userName,
    imageHostToken: account.imageHostToken,
    apiToken: createApiToken.token,
    small,
    large: { pictureUrl: large.pictureUrl, signedUrl: large.signedUrl },
  };
}

const pathOf = (url: string) => {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
};

function comparisons(fixture: Fixture): Comparison[] {
  const bareSmall: Request = { path: '/download/small.png' };
  const bareLarge: Request = { path: '/download/large.png' };
  const bareJson: Request = { method: 'POST', path: '/json', body: '{}', contains: '"code":0' };
  const bearer = { authorization: `Bearer ${fixture.session}` };
  const graphqlPost = (query: string, contains: string, variables?: (index: number) => object) => ({
    method: 'POST' as const,
    path: '/graphql',
    headers: bearer,
    body: variables
      ? (index: number) => JSON.stringify({ query, variables: variables(index) })
      : JSON.stringify({ query }),
    contains,
  });
  const door = (doorPath: string, fields: object, contains: string): Request => ({
    method: 'POST',
    path: doorPath,
    body: JSON.stringify({ user: fixture.userName, token: fixture.imageHostToken, ...fields }),
    contains,
  });
  return [
    {
      figure: 'GET /p/<key>, 3 KB PNG',
      picvault: { path: pathOf(fixture.small.pictureUrl) },
      bare: bareSmall,
      budget: 0.5,
    },
    {
      figure: 'GET /p/<key>, 197 KB PNG',
      picvault: { path: pathOf(fixture.large.pictureUrl) },
      bare: bareLarge,
      budget: 0.8,
    },
    {
      figure: 'GET /s/<shareId>/<name>, 3 KB',
      picvault: { path: pathOf(fixture.small.shareUrl) },
      bare: bareSmall,
      budget: 0.5,
    },
    {
      figure: 'signed /files/…, 3 KB',
      picvault: { path: pathOf(fixture.small.signedUrl) },
      bare: bareSmall,
      budget: 0.5,
    },
    {
      figure: 'signed /files/…, 197 KB',
      picvault: { path: pathOf(fixture.large.signedUrl) },
      bare: bareLarge,
      budget: 0.8,
    },
    {
      figure: 'GraphQL { me { userName } }',
      picvault: graphqlPost('{ me { userName } }', fixture.userName),
      bare: bareJson,
      budget: 0.3,
    },
    {
      figure: 'GraphQL files(first: 10)',
      picvault: graphqlPost('{ files(first: 10) { nodes { id name size md5 } } }', '"nodes"'),
      bare: bareJson,
      budget: 0.3,
    },
    {
      figure: 'anonymous { __typename }',
      picvault: { method: 'POST', path: '/graphql', body: '{"query":"{ __typename }"}', contains: 'Query' },
      bare: bareJson,
    },
    {
      figure: '/api/myfiles?cmd=normal',
      picvault: door('/api/myfiles?cmd=normal', { start: 0, count: 10 }, '"files"'),
      bare: bareJson,
      budget: 0.3,
    },
    {
      figure: '/api/sharefiles?cmd=pvdesc',
      picvault: door('/api/sharefiles?cmd=pvdesc', { start: 0, count: 10 }, '"files"'),
      bare: bareJson,
      budget: 0.3,
    },
    {
      figure: '/api/md5 (a new file each)',
      picvault: {
        method: 'POST',
        path: '/api/md5',
        body: (index) =>
          JSON.stringify({
            user: fixture.userName,
            token: fixture.imageHostToken,
            md5: fixture.small.md5,
            filename: `md5-${index}.png`,
          }),
        contains: '"code":0',
      },
      bare: bareJson,
      count: 4_000,
    },
    {
      figure: 'GraphQL instantUpload (a new file each)',
      picvault: graphqlPost(
        'mutation ($name: String!, $md5: String!) { instantUpload(input: { md5: $md5, name: $name }) { file { id } } }',
        '"file":{"id"',
        (index) => ({ md5: fixture.small.md5, name: `instant-${index}.png` }),
      ),
      bare: bareJson,
      count: 4_000,
    },
    {
      figure: 'sm.ms v2 GET upload_history',
      picvault: {
        path: '/sm/api/v2/upload_history',
        headers: { authorization: fixture.apiToken },
        contains: '"success":true',
      },
      bare: bareJson,
    },
  ];
}

export async function requestFigures(cleanups: Cleanups, log: (line: string) => void): Promise<Row[]> {
  const pictures: FileInMemory[] = [
    { name: 'small.png', content: noisyPng(3_000, 1) },
    { name: 'large.png', content: noisyPng(200_000, 2) },
  ];
  const bareDir = await temporaryDirectory(cleanups, 'requests-bare');
  for (const picture of pictures) await writeFile(path.join(bareDir, picture.name), picture.content);
  const bare = await startBaselineServer('bare Node server', bareDir, cleanups);
  const server = await startPicvault(
    'picvault (requests)',
    {
      databaseUrl: await createDatabase(cleanups),
      redisPrefix: redisPrefix(cleanups),
      dataDir: await temporaryDirectory(cleanups, 'requests'),
    },
    cleanups,
  );
  const fixture = await prepare(server, pictures);
  const rows: Row[] = [section(`requests, ${CONNECTIONS} connections, keep-alive (autocannon)`)];
  let peakRss: number[] = [];
  const sampler = setInterval(() => {
    servingRss(server).then(
      (sizes) => (peakRss = sizes.map((size, i) => Math.max(size, peakRss[i] ?? 0))),
      () => undefined,
    );
  }, 200);
  try {
    const match = new RegExp(process.env.BENCH_MATCH ?? '', 'i');
    for (const comparison of comparisons(fixture).filter(({ figure }) => match.test(figure))) {
      log(`requests: ${comparison.figure}`);
      const count = comparison.count ?? REQUESTS;
      // Warm-up of both, then the two measured one after the other, each over the same count.
      await load(server.url, comparison.picvault, Math.min(WARM_UP_REQUESTS, count));
      await load(bare.url, comparison.bare, WARM_UP_REQUESTS);
      const measured = await load(server.url, comparison.picvault, count);
      await sleep(200);
      const reference = await load(bare.url, comparison.bare, count);
      rows.push(row(comparison, measured, reference));
    }
  } finally {
    clearInterval(sampler);
  }
  const largest = Math.max(...peakRss);
  rows.push({
    figure: 'peak RSS of each serving process',
    result: peakRss.map((size) => `${(size / 1e6).toFixed(0)} MB`).join(', '),
    check: belowCheck(largest, MAX_WORKER_RSS),
  });
  await server.stop();
  return rows;
}
