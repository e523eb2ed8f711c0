import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { findFreePort } from '../../src/db/embedded-postgres';
import { signUp, type TestUser } from '../helpers/accounts';
import { databaseUrl, testEnvironment } from '../helpers/environment';
import { graphql } from '../helpers/http';
import { startMain, waitUntilHealthy, type RunningMain } from '../helpers/main-process';
import { createTestBucket, removeTestBucket, s3Environment } from '../helpers/s3';
import { deleteKeys, withAdmin } from '../helpers/test-app';
import { uploadFile } from '../helpers/uploads';

jest.setTimeout(120_000);

const LOGIN = `mutation ($userName: String!, $password: String!) {
  login(input: { userName: $userName, password: $password }) { token userErrors { code } }
}`;
const VIEWER = `{ viewer { userName } }`;
const SHARE_FILE = `mutation ($id: ID!) { shareFile(input: { fileId: $id }) { share { id } } }`;
const RECORD_DOWNLOAD = `mutation ($id: ID!) { recordShareDownload(input: { id: $id }) { counted } }`;
const RANKING = `{ downloadRanking(first: 5) { nodes { id downloadCount } } }`;

/** Every file (not folder) under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => !entry.isDirectory()).map((entry) => entry.name);
}

/**
 * Two `node dist/main.js` instances on their own ports and data directories, sharing what a
 * deployment behind a load balancer shares: one Postgres database, one Redis prefix, one SECRET and
 * one S3 bucket.
 */
describe('two instances sharing Postgres, Redis, SECRET and S3', () => {
  const database = `picvault_test_${randomBytes(5).toString('hex')}`;
  const prefix = `picvault-test:${randomBytes(5).toString('hex')}:`;
  let s3: { bucket: string; client: S3Client };
  const instances: { main: RunningMain; dataDir: string }[] = [];
  let a: RunningMain;
  let b: RunningMain;
  let alice: TestUser;

  beforeAll(async () => {
    await withAdmin((admin) =>
      admin.query(`CREATE DATABASE ${database} TEMPLATE ${testEnvironment.templateDatabase}`),
    );
    s3 = await createTestBucket();
    const shared = {
      DATABASE_URL: databaseUrl(testEnvironment.adminDatabaseUrl, database),
      REDIS_URL: testEnvironment.redisUrl,
      REDIS_PREFIX: prefix,
      SECRET: randomBytes(32).toString('hex'),
      STORAGE: 's3',
      ...s3Environment(),
      S3_BUCKET: s3.bucket,
      WORKERS: '1',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      LOGIN_ACCOUNT_LIMIT: '4',
    };
    for (let n = 0; n < 2; n += 1) {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'picvault-instance-'));
      const main = startMain({ ...shared, PORT: String(await findFreePort()), DATA_DIR: dataDir });
      instances.push({ main, dataDir });
      await waitUntilHealthy(main);
    }
    [a, b] = instances.map((instance) => instance.main);
    alice = await signUp(a);
  });

  afterAll(async () => {
    for (const { main, dataDir } of instances) {
      main.child.kill('SIGTERM');
      await main.exited;
      await rm(dataDir, { recursive: true, force: true });
    }
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    await deleteKeys(prefix);
    await removeTestBucket(s3.client, s3.bucket);
  });

  it('serves through B a file uploaded through A, by a link A signed', async () => {
    const bytes = randomBytes(7 * 1024 * 1024);
    const uploaded = await uploadFile(a, alice.token, bytes, { name: 'both.bin' });
    expect(uploaded.errors).toBeUndefined();
    const signedByA = new URL(uploaded.data!.uploadFile.file!.download.url);
    expect(signedByA.origin).toBe(a.url);
    const throughB = new URL(`${signedByA.pathname}${signedByA.search}`, b.url);
    const response = await fetch(throughB);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    const tampered = new URL(throughB);
    tampered.searchParams.set('sig', 'AAAA');
    expect((await fetch(tampered)).status).toBe(403);
  });

  it('takes a session made on A at B, and a logout on A ends it on B', async () => {
    const login = await graphql<{ login: { token: string } }>(a, LOGIN, {
      userName: alice.userName,
      password: alice.password,
    });
    const token = login.data!.login.token;
    expect((await graphql(b, VIEWER, {}, token)).data).toEqual({ viewer: { userName: alice.userName } });
    await graphql(
      a,
      `
        mutation {
          logout {
            deletedIds
          }
        }
      `,
      {},
      token,
    );
    const after = await graphql(b, VIEWER, {}, token);
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('counts failed sign-ins to one account across both', async () => {
    const bob = await signUp(b);
    const attempt = async (server: RunningMain) => {
      const answer = await graphql<{ login: { userErrors: { code: string }[] } }>(server, LOGIN, {
        userName: bob.userName,
        password: 'wrong',
      });
      return answer.errors?.[0]?.extensions?.code ?? answer.data!.login.userErrors[0].code;
    };
    // LOGIN_ACCOUNT_LIMIT is 4: alone, neither instance would see more than three of these six.
    const codes = [];
    for (const server of [a, b, a, b, a, b]) codes.push(await attempt(server));
    expect(codes).toEqual([...Array(4).fill('UNAUTHENTICATED'), 'RATE_LIMITED', 'RATE_LIMITED']);
  });

  it('ranks downloads counted on either', async () => {
    const uploaded = await uploadFile(a, alice.token, randomBytes(1000), { name: 'ranked.bin' });
    const shared = await graphql<{ shareFile: { share: { id: string } } }>(
      a,
      SHARE_FILE,
      { id: uploaded.data!.uploadFile.file!.id },
      alice.token,
    );
    const id = shared.data!.shareFile.share.id;
    for (const server of [a, b, b]) await graphql(server, RECORD_DOWNLOAD, { id });
    for (const server of [a, b]) {
      const ranking = await graphql<{ downloadRanking: { nodes: { id: string; downloadCount: number }[] } }>(
        server,
        RANKING,
      );
      expect(ranking.data!.downloadRanking.nodes[0]).toEqual({ id, downloadCount: 3 });
    }
  });

  it('writes nothing under either DATA_DIR: the bytes are in S3', async () => {
    for (const { dataDir } of instances) expect(await filesUnder(dataDir)).toEqual([]);
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'blobs/' }));
    expect(listed.KeyCount).toBe(2);
  });
});
