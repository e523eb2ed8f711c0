import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findFreePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres';
import { createLogger } from '../../src/logger';
import { md5 as md5OfText } from '../helpers/accounts';
import { withDatabase } from '../helpers/database';
import { graphql } from '../helpers/http';
import { delay } from '../helpers/main-process';
import { PrivateRedis } from '../helpers/private-redis';
import { describeFile, desktopUploadBody, postUpload } from '../helpers/legacy-upload';
import { uploadCode, uploadFile, uploadForm, type UploadAnswer } from '../helpers/uploads';
import { eventually } from '../helpers/wait';
import { DriveClient } from './drive-client';
import { failuresOf, underLoad, type Answer, type LoadRequest } from './load';
import { ServerUnderTest } from './server-under-test';

/**
 * Outages under load, of a Postgres and a Redis of the suite's own (never the machine's), and a data
 * disk that fills up: the server answers what it can, says "try again" for what it cannot, logs the
 * outage once, and is whole again when the service is back.
 */

const json = (body: unknown, token?: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
  body: JSON.stringify(body),
});
const query = (kind: string, text: string, token?: string, variables = {}): LoadRequest => ({
  kind,
  request: () => ({ path: '/graphql', init: json({ query: text, variables }, token) }),
});
/** What a signed-in client does most: who am I, my first page, a small upload. */
function signedInLoad(user: DriveClient): LoadRequest[] {
  return [
    query('me', '{ me { userName } }', user.user.token),
    query('files', '{ files(first: 10) { nodes { id name } } }', user.user.token),
    {
      kind: 'upload',
      request: () => ({
        path: '/graphql',
        init: {
          method: 'POST',
          headers: { authorization: `Bearer ${user.user.token}`, 'apollo-require-preflight': 'true' },
          body: uploadForm(randomBytes(10_000), { name: `load-${randomBytes(4).toString('hex')}.bin` }),
        },
      }),
    },
  ];
}

// embedded-postgres is published as an ES module only, which Jest's module loader cannot run inside a
// test file; Node's own require can, as it does for the global setup.
jest.mock(
  'embedded-postgres',
  () => process.getBuiltinModule('node:module').createRequire(__filename)('embedded-postgres') as unknown,
);

describe('a private Postgres stopped for 5 s under load', () => {
  let dir: string;
  let database: EmbeddedDatabase;
  let port: number;
  let server: ServerUnderTest;
  const startDatabase = async () => {
    database = await startEmbeddedPostgres(dir, port, createLogger('warn'));
  };

  beforeAll(async () => {
    // postgres runs as its own system user when we are root: its folders must be traversable.
    dir = await mkdtemp(path.join(os.tmpdir(), 'picvault-fault-pg-'));
    await chmod(dir, 0o755);
    port = await findFreePort();
    await startDatabase();
    server = await ServerUnderTest.create({ databaseUrl: database.url });
  });

  afterAll(async () => {
    await server?.remove();
    await database?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 200 or 503 UNAVAILABLE with Retry-After, never 500, stays up, and recovers', async () => {
    await server.start();
    const alice = await DriveClient.signUp(server);
    const outage = (async () => {
      await delay(1000);
      await database.stop();
      await delay(5000);
      await startDatabase();
    })();
    const answers = await underLoad(server, signedInLoad(alice), { connections: 8, durationMs: 10_000 });
    await outage;

    expect(server.alive).toBe(true);
    const refused = answers.filter((answer) => answer.status !== 200 || answer.error);
    expect(refused.length).toBeGreaterThan(0);
    const unavailable = (answer: Answer) =>
      answer.status === 503 && answer.error === 'UNAVAILABLE' && answer.retryAfter === '5';
    expect(failuresOf(refused.filter((answer) => !unavailable(answer)))).toEqual({});

    // Once the database is back, every request works again (the pool reconnects; the locks are retaken).
    await eventually(async () => {
      const after = await underLoad(server, signedInLoad(alice), { connections: 4, durationMs: 1000 });
      expect(failuresOf(after)).toEqual({});
    }, 20_000);
    await eventually(async () => {
      const retaken = server
        .logs()
        .filter((log) => /^took the (process lease|storage lock) again$/.test(String(log.msg)));
      expect(retaken).toHaveLength(2);
    }, 10_000);
    await server.invariantsHold();
  });
});

describe('a private Redis killed under load, and restarted from stale saved data', () => {
  let redis: PrivateRedis;
  let server: ServerUnderTest;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    server = await ServerUnderTest.create({ redisUrl: redis.url });
    await server.start();
  });

  afterAll(async () => {
    await server?.remove();
    await redis?.remove();
  });

  const RANKING = `{ downloadRanking(first: 10) { nodes { id downloadCount } } }`;
  const COUNT = `mutation ($input: RecordShareDownloadInput!) { recordShareDownload(input: $input) { counted } }`;

  it('answers every request Postgres can answer, without stalls, logs it once, and ranks right after', async () => {
    const alice = await DriveClient.signUp(server);
    const shares: { id: string }[] = [];
    for (const name of ['first', 'second', 'third']) {
      shares.push(await alice.shareFile((await alice.upload(randomBytes(1000), `${name}.bin`)).id));
    }
    // The ranking Redis keeps and saves: first 3, second 2, third 1.
    for (const [index, share] of shares.entries()) {
      for (let count = 0; count < 3 - index; count += 1) {
        await graphql(server, COUNT, { input: { id: share.id } });
      }
    }
    expect((await graphql(server, RANKING)).data).toBeTruthy();
    await redis.save();

    const load: LoadRequest[] = [
      ...signedInLoad(alice),
      query('ranking', RANKING),
      // Meanwhile the third share overtakes the others, in Postgres only.
      query('count', COUNT, undefined, { input: { id: shares[2].id } }),
      {
        kind: 'login',
        request: () => ({
          path: '/api/login',
          init: json({ user: alice.user.userName, pwd: md5OfText(alice.user.password) }),
        }),
      },
    ];
    const outage = (async () => {
      await delay(1000);
      await redis.kill();
      await delay(5000);
      await redis.restart();
    })();
    const answers = await underLoad(server, load, { connections: 8, durationMs: 8000 });
    await outage;

    expect(failuresOf(answers)).toEqual({});
    // Redis was away from 1 s to 6 s: every kind of request was answered then, the quick ones quickly
    // (a client waiting on a dead Redis stalled them 1–2.5 s); logins and uploads take their own time.
    const during = answers.filter((answer) => answer.at > 1500 && answer.at < 5500);
    expect(new Set(during.map((answer) => answer.kind))).toEqual(
      new Set(load.map((request) => request.kind)),
    );
    const quick = during.filter((answer) => !['login', 'upload'].includes(answer.kind));
    expect(Math.max(...quick.map((answer) => answer.ms))).toBeLessThan(1500);

    await eventually(async () => {
      const logs = server.logs();
      expect(logs.filter((log) => /is unreachable/.test(String(log.msg))).length).toBeGreaterThanOrEqual(1);
      expect(logs.filter((log) => /is unreachable/.test(String(log.msg))).length).toBeLessThanOrEqual(2);
      expect(logs.filter((log) => /is reachable again/.test(String(log.msg))).length).toBeGreaterThanOrEqual(
        1,
      );
    }, 10_000);

    // Redis is back with the ranking it saved before the outage; the API must order as Postgres does.
    const expected = await databaseRanking(server.databaseUrl);
    expect(expected[0]).toEqual({ id: expect.any(String), pv: expect.any(Number) });
    await eventually(async () => {
      const ranking = await graphql<{ downloadRanking: { nodes: { id: string; downloadCount: number }[] } }>(
        server,
        RANKING,
      );
      expect(ranking.data!.downloadRanking.nodes.map((node) => node.downloadCount)).toEqual(
        expected.map((row) => row.pv),
      );
      expect(ranking.data!.downloadRanking.nodes[0].id).toBe(shares[2].id);
    }, 10_000);
    await server.invariantsHold();
  });
});

/** The shares' counts as `ORDER BY pv DESC` gives them: what the ranking must show. */
async function databaseRanking(databaseUrl: string): Promise<{ id: string; pv: number }[]> {
  const { rows } = await withDatabase(databaseUrl, (client) =>
    client.query<{ id: string; pv: number }>(`SELECT id, pv FROM shares ORDER BY pv DESC`),
  );
  return rows;
}

describe('a data disk that fills up (a 48 MB tmpfs as DATA_DIR)', () => {
  let mountPoint: string;
  let server: ServerUnderTest;

  beforeAll(async () => {
    mountPoint = await mkdtemp(path.join(os.tmpdir(), 'picvault-fault-disk-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mountPoint]);
    } catch (error) {
      throw new Error(`The full-disk test mounts a tmpfs, which needs root: ${(error as Error).message}`);
    }
    server = await ServerUnderTest.create({ dataDir: mountPoint });
    await server.start();
  });

  afterAll(async () => {
    await server?.remove();
    execFileSync('umount', [mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('answers STORAGE_FULL (HTTP 507, door code 1), logs ENOSPC, reports degraded, and recovers once freed', async () => {
    const alice = await DriveClient.signUp(server);
    let kept = 0;
    let refused: UploadAnswer | null = null;
    for (let attempt = 0; attempt < 20 && !refused; attempt += 1) {
      const answer = await uploadFile(server, alice.user.token, randomBytes(4 * 1024 * 1024), {
        name: `fill-${attempt}.bin`,
      });
      if (uploadCode(answer) === 'OK') kept += 1;
      else refused = answer;
    }
    expect(kept).toBeGreaterThan(5);
    expect(refused && { status: refused.status, code: uploadCode(refused) }).toEqual({
      status: 507,
      code: 'STORAGE_FULL',
    });

    const bytes = randomBytes(4 * 1024 * 1024);
    const body = desktopUploadBody(bytes, {
      parameters: describeFile(alice.user.userName, 'door.bin', bytes),
    });
    expect(await postUpload(server, body, { authorization: alice.user.token })).toEqual({
      status: 200,
      body: { code: 1 },
    });

    const errors = server.logs().filter((log) => (log.level as number) >= 50);
    expect(JSON.stringify(errors)).toMatch(/ENOSPC/);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual(expect.objectContaining({ status: 'degraded' }));
    // A refused upload leaves nothing behind: the invariants hold without a restart.
    await server.invariantsHold();

    const files = await graphql<{ files: { nodes: { id: string }[] } }>(
      server,
      '{ files(first: 100) { nodes { id } } }',
      {},
      alice.user.token,
    );
    await alice.deleteItems(files.data!.files.nodes.map((node) => node.id));
    // /healthz tries a write of its own at most every 10 s while writes fail.
    await eventually(async () => expect((await fetch(`${server.url}/healthz`)).status).toBe(200), 15_000);
    await alice.upload(randomBytes(4 * 1024 * 1024), 'after.bin');
    await server.invariantsHold();
  });
});
