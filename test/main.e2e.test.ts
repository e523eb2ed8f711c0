import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest, type ClientRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { findFreePort } from '../src/db/embedded-postgres';
import { eventually } from './helpers/wait';
import {
  delay,
  REPO_ROOT,
  ENTRY_POINT,
  exitWithin,
  startMain,
  waitUntilHealthy,
  type RunningMain,
} from './helpers/main-process';

const PASSWORD_MD5 = 'e10adc3949ba59abbe56e057f20f883e';

jest.setTimeout(120_000);

async function postJson(main: RunningMain, route: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${main.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

/** The pid postgres recorded for this data directory, or null when it is not running. */
async function postgresPid(dataDir: string): Promise<number | null> {
  try {
    return Number((await readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends SIGTERM and waits for the exit; fails with the output when it takes longer than `ms`. */
async function stopWithSigterm(main: RunningMain, ms = 20_000) {
  main.child.kill('SIGTERM');
  const exit = await exitWithin(main.exited, ms);
  if (exit === 'timeout')
    throw new Error(`${ENTRY_POINT} did not exit within ${ms} ms of SIGTERM\n${main.output()}`);
  return exit;
}

/** A POST whose body is sent in two parts, so the request is in flight for as long as we wait. */
function startSlowPost(main: RunningMain, route: string, body: string) {
  let request!: ClientRequest;
  const answer = new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    request = httpRequest(
      `${main.url}${route}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  request.write(body.slice(0, half));
  return { answer, finish: () => request.end(body.slice(half)) };
}

describe(`node ${ENTRY_POINT} on an embedded PostgreSQL`, () => {
  let dataDir: string;
  let port: number;
  let main: RunningMain | undefined;

  const start = () => {
    main = startMain({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    return main;
  };

  beforeAll(async () => {
    if (!existsSync(path.join(REPO_ROOT, ENTRY_POINT))) {
      throw new Error(`${ENTRY_POINT} is missing: run \`npm run build\` (npm test does) before jest`);
    }
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'picvault-e2e-'));
    // As root the embedded server runs as the `postgres` user, which must be able to traverse this.
    await chmod(dataDir, 0o755);
    port = await findFreePort();
  });

  afterAll(async () => {
    if (main && main.child.exitCode === null && main.child.signalCode === null) {
      main.child.kill('SIGKILL');
      await main.exited;
    }
    const orphan = await postgresPid(dataDir);
    if (orphan && isAlive(orphan)) {
      process.kill(orphan, 'SIGINT');
      for (let waited = 0; waited < 30_000 && isAlive(orphan); waited += 100) await delay(100);
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts with nothing configured, creating its database, and answers /healthz with 200', async () => {
    await waitUntilHealthy(start());
    expect(await postgresPid(dataDir)).toEqual(expect.any(Number));
    const health = await fetch(`${main!.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('registers a user through the image-host API', async () => {
    const registered = await postJson(main!, '/api/reg', {
      userName: 'e2e',
      nickName: 'e',
      firstPwd: PASSWORD_MD5,
    });
    expect(registered).toEqual({ code: 0 });
  });

  it('serves the web pages’ own files from dist/, which must be deployable without src/', async () => {
    for (const asset of ['/graphql/assets/playground.js', '/share/assets/share-page.css']) {
      const response = await fetch(`${main!.url}${asset}`);
      expect([asset, response.status]).toEqual([asset, 200]);
      expect((await response.text()).length).toBeGreaterThan(100);
    }
    expect(existsSync(path.join(REPO_ROOT, 'dist/web/playground-assets/index.html'))).toBe(true);
  });

  it('on SIGTERM, finishes the request in flight, refuses new ones, exits 0 and stops its PostgreSQL', async () => {
    const postgres = (await postgresPid(dataDir))!;
    expect(isAlive(postgres)).toBe(true);

    const inFlight = startSlowPost(main!, '/api/login', JSON.stringify({ user: 'e2e', pwd: PASSWORD_MD5 }));
    await delay(500);
    main!.child.kill('SIGTERM');
    await delay(500);
    expect(await exitWithin(main!.exited, 0)).toBe('timeout');
    const refused = await fetch(`${main!.url}/healthz`).then(
      (response) => `answered ${response.status}`,
      () => 'refused',
    );
    expect(refused).toBe('refused');

    inFlight.finish();
    const answer = await inFlight.answer;
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ code: 0, token: expect.stringMatching(/^[0-9a-f]{32}$/) });

    // Promptly: the connection, idle once answered, must not hold the drain for its keep-alive timeout.
    expect(await exitWithin(main!.exited, 3_000)).toEqual({ code: 0, signal: null });
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    expect(isAlive(postgres)).toBe(false);
  });

  it('reuses the data on a second start: the user registered before can log in', async () => {
    await waitUntilHealthy(start());
    const login = await postJson(main!, '/api/login', { user: 'e2e', pwd: PASSWORD_MD5 });
    expect(login).toEqual({ code: 0, token: expect.stringMatching(/^[0-9a-f]{32}$/) });
  });

  it('stops cleanly again on SIGTERM', async () => {
    const exit = await stopWithSigterm(main!);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });
});

describe(`node ${ENTRY_POINT} with a malformed setting`, () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'picvault-e2e-bad-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it.each([
    ['PORT', { PORT: 'notaport' }],
    ['TIME_ZONE', { TIME_ZONE: 'Mars/Olympus' }],
  ])('exits non-zero at once, naming %s on stderr', async (variable, setting) => {
    const run = startMain({ DATA_DIR: dataDir, LOG_LEVEL: 'info', ...setting });
    const exit = await exitWithin(run.exited, 10_000);
    if (exit === 'timeout') run.child.kill('SIGKILL');

    expect(exit).toEqual({ code: expect.any(Number), signal: null });
    expect(exit).not.toEqual({ code: 0, signal: null });
    expect(run.stderr()).toMatch(new RegExp(`^\\s*${variable}: `, 'm'));
  });
});

/** The serving processes a primary forked: its children that run this program (not its postgres). */
async function workerPids(primary: number): Promise<number[]> {
  const children = (await readFile(`/proc/${primary}/task/${primary}/children`, 'utf8'))
    .split(' ')
    .filter(Boolean)
    .map(Number);
  const workers: number[] = [];
  for (const pid of children) {
    const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (command.includes(ENTRY_POINT)) workers.push(pid);
  }
  return workers;
}

/** A GET on a connection of its own, so that the cluster hands each to the next worker. */
function getOnNewConnection(main: RunningMain, route: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${main.url}${route}`,
      { agent: false, headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

/** The `worker` of each "request completed" line logged so far. */
const servingWorkers = (main: RunningMain) =>
  main
    .output()
    .split('\n')
    .filter((line) => line.includes('"request completed"'))
    .map((line) => (JSON.parse(line) as { worker?: number }).worker);

describe(`node ${ENTRY_POINT} with WORKERS=2`, () => {
  let dataDir: string;
  let main: RunningMain;
  const redisPrefix = `picvault-e2e-workers-${process.pid}:`;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'picvault-e2e-workers-'));
    await chmod(dataDir, 0o755);
  });
  afterAll(async () => {
    if (main && main.child.exitCode === null && main.child.signalCode === null) {
      main.child.kill('SIGKILL');
      await main.exited;
    }
    await rm(dataDir, { recursive: true, force: true });
    const redis = new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
    const keys = await redis.keys(`${redisPrefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('runs two workers on one port, sharing the embedded database and Redis, each serving requests', async () => {
    main = startMain({
      PORT: String(await findFreePort()),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      WORKERS: '2',
      REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
      REDIS_PREFIX: redisPrefix,
    });
    await waitUntilHealthy(main);
    // The first worker to listen answers /healthz before the other listens and the primary says so.
    await eventually(
      async () => expect(main.output()).toMatch(/"workers":2,"msg":"Picvault is ready"/),
      60_000,
    );
    expect(await workerPids(main.child.pid!)).toHaveLength(2);

    expect(
      await postJson(main, '/api/reg', { userName: 'w', nickName: 'w', firstPwd: PASSWORD_MD5 }),
    ).toEqual({
      code: 0,
    });
    const { token } = (await postJson(main, '/api/login', { user: 'w', pwd: PASSWORD_MD5 })) as {
      token: string;
    };
    // The session made by one worker holds in the other: all of these are signed in.
    const statuses = await Promise.all(
      Array.from({ length: 12 }, () =>
        getOnNewConnection(main, '/graphql?query=%7Bme%7BuserName%7D%7D', token),
      ),
    );
    expect(statuses).toEqual(Array(12).fill(200));
    expect(new Set(servingWorkers(main))).toEqual(new Set([0, 1]));
  });

  it('replaces a worker that dies once it has been serving', async () => {
    await delay(5_500);
    const [victim] = await workerPids(main.child.pid!);
    process.kill(victim, 'SIGKILL');
    const deadline = Date.now() + 20_000;
    let workers: number[] = [];
    while (Date.now() < deadline) {
      workers = await workerPids(main.child.pid!);
      if (workers.length === 2 && !workers.includes(victim)) break;
      await delay(200);
    }
    expect(workers).toHaveLength(2);
    expect(workers).not.toContain(victim);
    expect(main.output()).toMatch(/a worker died: starting another in its place/);
    await waitUntilHealthy(main);
  });

  it('drains every worker on SIGTERM, then stops its PostgreSQL and exits 0', async () => {
    const workers = await workerPids(main.child.pid!);
    const exit = await stopWithSigterm(main);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(workers.filter(isAlive)).toEqual([]);
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });

  it('runs a single process, and says why, when there is no Redis to share', async () => {
    const single = startMain({
      PORT: String(await findFreePort()),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      WORKERS: '2',
    });
    try {
      await waitUntilHealthy(single);
      expect(single.output()).toMatch(/REDIS_URL is not set: running 1 worker/);
      expect(single.output()).toMatch(/"workers":1,"msg":"Picvault is ready"/);
      expect(await workerPids(single.child.pid!)).toEqual([]);
    } finally {
      await stopWithSigterm(single);
    }
  });
});
