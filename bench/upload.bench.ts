import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { startBaselineServer } from './baseline';
import type { Cleanups } from './cleanups';
import { bestPass, DOWNLOAD_REPEATS, REPEATS, timedDownload, type Pass } from './downloads';
import {
  assertAnswer,
  downloadClient,
  multipartWithFile,
  postStream,
  putStream,
  requestJson,
  type JsonResponse,
} from './http-client';
import { runLoad } from './load';
import {
  createDatabase,
  redisPrefix,
  routeExists,
  signUp,
  startPicvault,
  temporaryDirectory,
} from './picvault';
import { freePort, startServer, withRssSampling, type ChildServer } from './processes';
import {
  belowCheck,
  formatMegabytes,
  formatRate,
  loadRow,
  megabytesPerSecond,
  ratioCheck,
  section,
  unavailable,
  type Row,
} from './report';
import { generateFile, type SourceFile } from './source-file';

const FILE_BYTES = Number(process.env.BENCH_UPLOAD_BYTES || 1024 ** 3);
const UPLOAD_TIMEOUT_MS = 10 * 60_000;
export const RSS_GROWTH_LIMIT = 100e6;
const INSTANT_UPLOADS = { count: 2000, concurrency: 16, maxSeconds: 120 };

export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const result = await work();
  return { result, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** `dd … conv=fsync`: the kernel's own copy, through the page cache, flushed to disk at the end. */
async function ddWrite(source: SourceFile, target: string): Promise<number> {
  const { seconds } = await timed(
    () =>
      new Promise<void>((resolve, reject) => {
        const dd = spawn('dd', [`if=${source.path}`, `of=${target}`, 'bs=1M', 'conv=fsync'], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        dd.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        dd.on('error', reject);
        dd.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`dd failed: ${stderr}`))));
      }),
  );
  await rm(target, { force: true });
  return megabytesPerSecond(source.size, seconds);
}

async function plainRead(source: SourceFile): Promise<Pass> {
  const before = process.cpuUsage();
  const { seconds } = await timed(async () => {
    for await (const chunk of createReadStream(source.path, { highWaterMark: 1 << 20 })) void chunk;
  });
  const used = process.cpuUsage(before);
  return { rate: megabytesPerSecond(source.size, seconds), cpuSeconds: (used.user + used.system) / 1e6 };
}

export interface UploadRun {
  seconds: number;
  /** VmRSS when the upload began, and how far above it the peak went. */
  rssBefore: number;
  rssGrowth: number;
  cpuSeconds: number;
  answer: JsonResponse;
}

export async function measuredUpload(
  server: ChildServer,
  send: () => Promise<JsonResponse>,
): Promise<UploadRun> {
  const { result, before, peak, cpuSeconds } = await withRssSampling(server.pid, () => timed(send));
  return {
    seconds: result.seconds,
    answer: result.result,
    rssBefore: before,
    rssGrowth: peak - before,
    cpuSeconds,
  };
}

/** Of repeated runs: the fastest time, the least CPU, and the largest RSS growth (the worst case). */
export function bestOf(runs: UploadRun[]): UploadRun {
  return {
    seconds: Math.min(...runs.map((run) => run.seconds)),
    cpuSeconds: Math.min(...runs.map((run) => run.cpuSeconds)),
    rssBefore: runs[0].rssBefore,
    rssGrowth: Math.max(...runs.map((run) => run.rssGrowth)),
    answer: runs[0].answer,
  };
}

async function fastest(times: number, measure: () => Promise<number>): Promise<number> {
  let best = 0;
  for (let run = 0; run < times; run += 1) best = Math.max(best, await measure());
  return best;
}

function uploadRows(figure: string, source: SourceFile, run: UploadRun, baseline: UploadRun): Row[] {
  const rate = megabytesPerSecond(source.size, run.seconds);
  const baselineRate = megabytesPerSecond(source.size, baseline.seconds);
  return [
    {
      figure: `upload ${figure}`,
      result: formatRate(rate),
      reference: `minimal hashing server ${formatRate(baselineRate)}`,
      check: ratioCheck(rate, baselineRate, 0.8),
    },
    {
      figure: '  RSS growth during it',
      result: formatMegabytes(run.rssGrowth),
      reference: 'peak VmRSS − VmRSS before',
      check: belowCheck(run.rssGrowth, RSS_GROWTH_LIMIT),
    },
    {
      figure: '  server CPU time during it',
      result: `${run.cpuSeconds.toFixed(1)} s`,
      reference: `minimal hashing server ${baseline.cpuSeconds.toFixed(1)} s`,
    },
  ];
}

/** The GraphQL multipart request spec: operations, map, then the file part streamed from disk. */
export function graphqlUpload(server: ChildServer, token: string, source: SourceFile, name: string) {
  const operations = JSON.stringify({
    query: `mutation ($input: UploadFileInput!) {
      uploadFile(input: $input) { file { id md5 size download { url } } userErrors { code message } }
    }`,
    variables: { input: { file: null, name, md5: source.md5, size: source.size } },
  });
  const body = multipartWithFile(
    { operations, map: '{"0":["variables.input.file"]}' },
    { field: '0', filename: name, source },
  );
  return postStream(
    `${server.url}/graphql`,
    {
      'content-type': body.contentType,
      'apollo-require-preflight': 'true',
      authorization: `Bearer ${token}`,
    },
    body.parts,
    body.length,
    UPLOAD_TIMEOUT_MS,
  );
}

/** Spec 001 `/api/upload`, format A (the desktop client's): the boundary appears only in the body. */
function desktopUpload(server: ChildServer, token: string, user: string, source: SourceFile, name: string) {
  const boundary = `------WebKitFormBoundary${randomBytes(8).toString('hex')}`;
  const head =
    `${boundary}\r\nContent-Disposition: form-data; user="${user}" filename="${name}" md5="${source.md5}" ` +
    `size=${source.size}\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n${boundary}`;
  return postStream(
    `${server.url}/api/upload`,
    { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    [head, createReadStream(source.path, { highWaterMark: 1 << 20 }), tail],
    Buffer.byteLength(head) + source.size + Buffer.byteLength(tail),
    UPLOAD_TIMEOUT_MS,
  );
}

/** `python3 -m http.server` over the folder that holds the file: the reference file server. */
async function startPythonFileServer(folder: string, cleanups: Cleanups): Promise<ChildServer | null> {
  if (spawnSync('python3', ['--version'], { stdio: 'ignore' }).status !== 0) return null;
  const port = await freePort();
  const args = ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', folder];
  return startServer('python http.server', 'python3', args, {}, port, '/', cleanups, 'ignore');
}

interface Copyparty {
  server: ChildServer;
  /** Where its uploads land: each is removed once measured, so three rounds need no 3 GiB. */
  volume: string;
  version: string;
}

/**
 * copyparty from the source tree `COPYPARTY_SRC` names: the fastest upload peer of issue 13, run as
 * its README says (`python3 -m copyparty`), anonymous write access to a fresh folder, plain HTTP.
 */
async function startCopyparty(tree: string, cleanups: Cleanups): Promise<Copyparty> {
  const versionFile = await readFile(path.join(tree, 'copyparty', '__version__.py'), 'utf8').catch(() => '');
  const version = /^VERSION = \((\d+), (\d+), (\d+)\)/m.exec(versionFile)?.slice(1).join('.');
  if (!version) throw new Error(`COPYPARTY_SRC=${tree} is not an unpacked copyparty source tree`);
  const volume = await temporaryDirectory(cleanups, 'copyparty');
  // Its keys and sessions would otherwise go into ~/.config and outlive the run.
  const config = await temporaryDirectory(cleanups, 'copyparty-config');
  const port = await freePort();
  const args = ['-m', 'copyparty', '-q', '-i', '127.0.0.1', '-p', String(port), '-v', `${volume}::rw`];
  // Plain HTTP, as the other servers here: no certificate to make or look for at start.
  args.push('--http-only', '--no-crt');
  const env = { PYTHONPATH: path.resolve(tree), XDG_CONFIG_HOME: config };
  const server = await startServer('copyparty', 'python3', args, env, port, '/', cleanups, 'ignore');
  return { server, volume, version };
}

/** copyparty's `PUT` answer is 201 with the size it wrote on the first line, then its sha512. */
async function copypartyUpload(copyparty: Copyparty, source: SourceFile, name: string): Promise<UploadRun> {
  const run = await measuredUpload(copyparty.server, () =>
    putStream(
      `${copyparty.server.url}/${name}`,
      { 'content-type': 'application/octet-stream' },
      [createReadStream(source.path, { highWaterMark: 1 << 20 })],
      source.size,
      UPLOAD_TIMEOUT_MS,
    ),
  );
  const written = String(run.answer.body).split('\n')[0];
  assertAnswer(run.answer.status === 201 && written === String(source.size), 'copyparty PUT', run.answer);
  await rm(path.join(copyparty.volume, name));
  return run;
}

/** The reference row for copyparty, and each Picvault upload rate as a share of it. */
function copypartyRows(
  copyparty: Copyparty | null,
  source: SourceFile,
  runs: { copyparty: UploadRun[]; desktop: UploadRun[]; graphql: UploadRun[] },
): Row[] {
  if (!copyparty) {
    return [
      unavailable(
        'copyparty PUT',
        'COPYPARTY_SRC is unset; set it to an unpacked 9001/copyparty source tree',
      ),
    ];
  }
  const best = bestOf(runs.copyparty);
  const rate = megabytesPerSecond(source.size, best.seconds);
  const rows: Row[] = [
    {
      figure: `copyparty PUT (v${copyparty.version}, python3 -m copyparty)`,
      result: formatRate(rate),
      reference: `hashes sha512 only, no fsync; its CPU time ${best.cpuSeconds.toFixed(1)} s`,
    },
  ];
  const picvault = [
    ['/api/upload (format A)', runs.desktop],
    ['GraphQL uploadFile', runs.graphql],
  ] as const;
  for (const [figure, ofPath] of picvault) {
    if (ofPath.length === 0) continue;
    const share = megabytesPerSecond(source.size, bestOf(ofPath).seconds) / rate;
    rows.push({ figure: `  ${figure} / copyparty PUT`, result: `${(100 * share).toFixed(0)}%` });
  }
  return rows;
}

/**
 * Download rates of the stored copy through its signed URL, beside a plain read of the file and the
 * same file from a textbook Node server and from Python's http.server, in interleaved rounds so that
 * other load falls on each alike. Each also gives the CPU its server spent, which load moves less.
 */
async function downloadFigures(
  source: SourceFile,
  servers: { picvault: ChildServer; url: string; baseline: ChildServer },
  cleanups: Cleanups,
  log: (line: string) => void,
): Promise<Row[]> {
  const client = downloadClient();
  const name = path.basename(source.path);
  const python = await startPythonFileServer(path.dirname(source.path), cleanups);
  const passes: Record<'picvault' | 'node' | 'python' | 'read', Pass[]> = {
    picvault: [],
    node: [],
    python: [],
    read: [],
  };
  for (let round = 1; round <= DOWNLOAD_REPEATS; round += 1) {
    log(
      `download round ${round} of ${DOWNLOAD_REPEATS} (${client.name}): signed URL, plain read, Node, Python`,
    );
    passes.picvault.push(await timedDownload(client, servers.url, servers.picvault.pid, source.size));
    passes.read.push(await plainRead(source));
    const textbook = `${servers.baseline.url}/download/${name}`;
    passes.node.push(await timedDownload(client, textbook, servers.baseline.pid, source.size));
    if (python) {
      passes.python.push(await timedDownload(client, `${python.url}/${name}`, python.pid, source.size));
    }
  }
  await python?.stop();
  const [picvault, node, read] = [passes.picvault, passes.node, passes.read].map(bestPass);
  const share = (rate: number) => `${((100 * rate) / read.rate).toFixed(0)}% of plain read`;
  const cpu = (pass: Pass) => `${pass.cpuSeconds.toFixed(2)} s`;
  const rows: Row[] = [
    {
      figure: `download /files/<id>/<name> (signed, ${client.name}, best of ${DOWNLOAD_REPEATS})`,
      result: formatRate(picvault.rate),
      reference: `plain read ${formatRate(read.rate)}`,
      check: ratioCheck(picvault.rate, read.rate, 0.7),
    },
    { figure: '  server CPU time per download', result: cpu(picvault), reference: `plain read ${cpu(read)}` },
    {
      figure: '  the same file piped by a minimal Node server',
      result: formatRate(node.rate),
      reference: share(node.rate),
    },
    { figure: '    its CPU time per download', result: cpu(node) },
  ];
  if (python) {
    const best = bestPass(passes.python);
    rows.push(
      {
        figure: '  the same file from python3 -m http.server',
        result: formatRate(best.rate),
        reference: share(best.rate),
      },
      { figure: '    its CPU time per download', result: cpu(best) },
    );
  } else {
    rows.push(unavailable('  the same file from python3 -m http.server', 'no python3'));
  }
  rows.push({ figure: 'plain read (createReadStream, page cache)', result: formatRate(read.rate) });
  return rows;
}

/** Issue 3: bytes in and out of Picvault against the disk and a minimal server, and instant upload. */
export async function uploadFigures(cleanups: Cleanups, log: (line: string) => void): Promise<Row[]> {
  const rows: Row[] = [
    section(
      `bytes: one ${formatMegabytes(FILE_BYTES)} random file, MB = 10^6 bytes, best of ${REPEATS} runs`,
    ),
  ];
  const work = await temporaryDirectory(cleanups, 'upload');

  log(`generating ${formatMegabytes(FILE_BYTES)} of random bytes`);
  const source = await generateFile(path.join(work, 'big.bin'), FILE_BYTES);

  log(`dd write, best of ${REPEATS}`);
  const dd = await fastest(REPEATS, () => ddWrite(source, path.join(work, 'dd.out')));

  const baseline = await startBaselineServer('baseline server', work, cleanups);
  const server = await startPicvault(
    'picvault (uploads)',
    {
      databaseUrl: await createDatabase(cleanups),
      redisPrefix: redisPrefix(cleanups),
      dataDir: await temporaryDirectory(cleanups, 'data'),
    },
    cleanups,
  );
  const user = `bench_${randomBytes(4).toString('hex')}`;
  const token = await signUp(server, user);
  const desktopRoute = await routeExists(server, '/api/upload');
  const copypartyTree = process.env.COPYPARTY_SRC;
  const copyparty = copypartyTree ? await startCopyparty(copypartyTree, cleanups) : null;

  // Rounds interleave the paths, so load from elsewhere on the machine falls on each alike.
  const runs: Record<'baseline' | 'graphql' | 'desktop' | 'copyparty', UploadRun[]> = {
    baseline: [],
    graphql: [],
    desktop: [],
    copyparty: [],
  };
  let downloadUrl = '';
  for (let round = 1; round <= REPEATS; round += 1) {
    log(`upload round ${round} of ${REPEATS}: minimal hashing server`);
    const toBaseline = await measuredUpload(baseline, () =>
      postStream(
        `${baseline.url}/upload`,
        { 'content-type': 'application/octet-stream' },
        [createReadStream(source.path, { highWaterMark: 1 << 20 })],
        source.size,
        UPLOAD_TIMEOUT_MS,
      ),
    );
    assertAnswer(
      (toBaseline.answer.body as { md5?: string }).md5 === source.md5,
      'baseline upload',
      toBaseline.answer,
    );
    runs.baseline.push(toBaseline);

    log(`upload round ${round} of ${REPEATS}: GraphQL uploadFile`);
    const viaGraphql = await measuredUpload(server, () =>
      graphqlUpload(server, token, source, `big-graphql-${round}.bin`),
    );
    const uploaded = (
      viaGraphql.answer.body as {
        data?: { uploadFile?: { file: { md5: string; download: { url: string } } | null } };
      }
    ).data?.uploadFile?.file;
    assertAnswer(uploaded?.md5 === source.md5, 'GraphQL uploadFile', viaGraphql.answer);
    downloadUrl = uploaded!.download.url;
    runs.graphql.push(viaGraphql);

    if (desktopRoute) {
      log(`upload round ${round} of ${REPEATS}: /api/upload (format A)`);
      const viaDesktop = await measuredUpload(server, () =>
        desktopUpload(server, token, user, source, `big-desktop-${round}.bin`),
      );
      assertAnswer(
        (viaDesktop.answer.body as { code?: number }).code === 0,
        '/api/upload',
        viaDesktop.answer,
      );
      runs.desktop.push(viaDesktop);
    }

    if (copyparty) {
      log(`upload round ${round} of ${REPEATS}: copyparty PUT`);
      runs.copyparty.push(await copypartyUpload(copyparty, source, `big-copyparty-${round}.bin`));
    }
  }
  await copyparty?.server.stop();
  const baselineRun = bestOf(runs.baseline);

  const downloads = await downloadFigures(
    source,
    { picvault: server, url: downloadUrl, baseline },
    cleanups,
    log,
  );
  await baseline.stop();
  rows.push(
    ...(desktopRoute
      ? uploadRows('/api/upload (format A)', source, bestOf(runs.desktop), baselineRun)
      : [unavailable('upload /api/upload (format A)', 'route missing')]),
    ...uploadRows('GraphQL uploadFile', source, bestOf(runs.graphql), baselineRun),
    {
      figure: 'minimal hashing server (baseline)',
      result: formatRate(megabytesPerSecond(source.size, baselineRun.seconds)),
      reference: `its RSS growth ${formatMegabytes(baselineRun.rssGrowth)}`,
    },
    ...copypartyRows(copyparty, source, runs),
    { figure: 'dd bs=1M conv=fsync', result: formatRate(dd) },
    ...downloads,
  );

  const instant = `c=${INSTANT_UPLOADS.concurrency}, ${INSTANT_UPLOADS.count} names`;
  if (await routeExists(server, '/api/md5')) {
    log('instant upload through /api/md5');
    const load = await runLoad({
      ...INSTANT_UPLOADS,
      send: async (index, agent) => {
        const answer = await requestJson(`${server.url}/api/md5`, {
          agent,
          body: { token, user, md5: source.md5, filename: `md5-copy-${index}.bin` },
        });
        assertAnswer((answer.body as { code?: number }).code === 0, '/api/md5', answer);
      },
    });
    rows.push(loadRow(`instant upload /api/md5 (${instant})`, load));
  } else {
    rows.push(unavailable('instant upload /api/md5', 'route missing'));
  }
  log('instant upload through GraphQL instantUpload');
  const instantQuery = `mutation ($md5: String!, $name: String!) {
    instantUpload(input: { md5: $md5, name: $name }) { file { id } userErrors { code message } }
  }`;
  const load = await runLoad({
    ...INSTANT_UPLOADS,
    send: async (index, agent) => {
      const answer = await requestJson(`${server.url}/graphql`, {
        agent,
        headers: { authorization: `Bearer ${token}` },
        body: { query: instantQuery, variables: { md5: source.md5, name: `graphql-copy-${index}.bin` } },
      });
      const body = answer.body as {
        data?: { instantUpload?: { file: { id: string } | null } };
        errors?: unknown;
      };
      assertAnswer(
        answer.status === 200 && !body.errors && !!body.data?.instantUpload?.file,
        'instantUpload',
        answer,
      );
    },
  });
  rows.push(loadRow(`instant upload GraphQL instantUpload (${instant})`, load));

  await server.stop();
  return rows;
}
