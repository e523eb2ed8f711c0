import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { withDatabase } from '../helpers/database';
import { graphql } from '../helpers/http';
import { delay } from '../helpers/main-process';
import { formAroundFile, uploadForm } from '../helpers/uploads';
import { DriveClient, driveSnapshot, md5 } from './drive-client';
import { ServerUnderTest } from './server-under-test';

/**
 * SIGKILL from outside, as an operator's `kill -9` or a power cut would, at moments no fault point
 * names: through a large upload, amid bursts and races, beside a live instance; and a thousand
 * download counts at once. After each restart nothing acknowledged is lost and the invariants hold.
 */

const LARGE_UPLOAD_BYTES = 64 * 1024 * 1024;
const CHUNK = randomBytes(1024 * 1024);

interface StreamedUpload {
  /** The status of the answer, or the error that ended the request (the server died). */
  finished: Promise<{ status: number } | { error: string }>;
  /** Resolves when `bytes` of the file have been handed to the socket. */
  sent(bytes: number): Promise<void>;
  /** Stops sending until `resume`. */
  pause(): void;
  resume(): void;
}

/** A GraphQL `uploadFile` of `size` bytes, written chunk by chunk with backpressure. */
async function streamUpload(
  server: ServerUnderTest,
  token: string,
  name: string,
  size: number,
): Promise<StreamedUpload> {
  const { head, tail, contentType } = await formAroundFile(uploadForm(Buffer.alloc(0), { name }));
  const request = http.request(`${server.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'content-length': head.length + size + tail.length,
      authorization: `Bearer ${token}`,
      'apollo-require-preflight': 'true',
    },
  });
  const finished = new Promise<{ status: number } | { error: string }>((resolve) => {
    const failed = (error: Error) => resolve({ error: error.message });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode! }));
      response.on('error', failed);
    });
    request.on('error', failed);
  });
  let written = 0;
  let paused = false;
  const waiters: { bytes: number; resolve: () => void }[] = [];
  const write = () => {
    while (!paused && written < size) {
      const piece = CHUNK.subarray(0, Math.min(CHUNK.length, size - written));
      written += piece.length;
      for (const waiter of waiters.filter((candidate) => candidate.bytes <= written)) waiter.resolve();
      if (written === size) {
        request.end(Buffer.concat([piece, tail]));
        return;
      }
      if (!request.write(piece)) {
        request.once('drain', write);
        return;
      }
    }
  };
  request.write(head);
  write();
  return {
    finished,
    sent: (bytes) =>
      new Promise((resolve) => (written >= bytes ? resolve() : waiters.push({ bytes, resolve }))),
    pause: () => (paused = true),
    resume: () => {
      paused = false;
      write();
    },
  };
}

const SWEPT_AT_START = 'removed temporary objects and writes no upload will finish';

let server: ServerUnderTest;
let alice: DriveClient;

beforeAll(async () => {
  server = await ServerUnderTest.create();
  await server.start();
  alice = await DriveClient.signUp(server);
  await alice.makeTree('/kept');
});

afterAll(async () => {
  await server?.remove();
});

/** Kills the server, starts it again, and waits until the invariants hold. */
async function killAndRestart(): Promise<void> {
  await server.kill();
  const restarted = Date.now();
  await server.start();
  await server.invariantsHold();
  // The leftovers of a dead process go at start, not an hour later.
  expect(Date.now() - restarted).toBeLessThan(20_000);
}

describe('SIGKILL from outside', () => {
  it.each([10, 50, 99, 100])(
    'through a 64 MiB upload, at %i% of its bytes: the temporary object is gone at once after a restart',
    async (percent) => {
      const before = await driveSnapshot(server.databaseUrl);
      const upload = await streamUpload(server, alice.user.token, `large-${percent}.bin`, LARGE_UPLOAD_BYTES);
      await upload.sent(Math.floor((LARGE_UPLOAD_BYTES * percent) / 100));
      const logged = server.logs().length;
      // After the last byte the server may be promoting its object as it is killed: count only before.
      const leftovers = percent < 100 ? await temporaryObjects() : null;
      await killAndRestart();
      if (leftovers !== null) {
        expect(leftovers).toBeGreaterThan(0);
        const swept = server
          .logs()
          .slice(logged)
          .filter((log) => log.msg === SWEPT_AT_START);
        expect(swept).toEqual([expect.objectContaining({ temporary: leftovers })]);
      }
      expect(await upload.finished).toEqual({ error: expect.any(String) });
      const after = await driveSnapshot(server.databaseUrl);
      // In the gap after the last byte the upload may have committed; before it, it cannot have.
      const added = after.filter((entry) => !before.includes(entry));
      expect(added.length).toBeLessThanOrEqual(percent === 100 ? 1 : 0);
      expect(before.filter((entry) => !after.includes(entry))).toEqual([]);
    },
  );

  it('amid bursts of identical uploads: one blob at most, counted right', async () => {
    for (let burst = 0; burst < 3; burst += 1) {
      const bytes = randomBytes(4 * 1024 * 1024);
      const uploads = Array.from({ length: 6 }, (_, i) =>
        alice.upload(bytes, `burst-${burst}-${i}.bin`).catch((error: Error) => error),
      );
      await delay(50 + burst * 150);
      await killAndRestart();
      await Promise.all(uploads);
      const [{ count }] = await query<{ count: number }>(
        `SELECT count(*)::int AS count FROM blobs WHERE md5 = $1`,
        [md5(bytes)],
      );
      expect(count).toBeLessThanOrEqual(1);
    }
  });

  it('amid a delete racing an instant upload of the same content', async () => {
    for (let race = 0; race < 5; race += 1) {
      const bytes = randomBytes(200_000);
      const file = await alice.upload(bytes, `race-${race}.bin`);
      const racing = [
        alice.deleteItems([file.id]).catch((error: Error) => error),
        alice.instantUpload(md5(bytes), `race-${race}-copy.bin`).catch((error: Error) => error),
      ];
      await delay(race * 3);
      await killAndRestart();
      await Promise.all(racing);
    }
  });

  it('never takes a live instance’s upload for a dead one’s: a second instance starting leaves it be', async () => {
    const upload = await streamUpload(server, alice.user.token, 'slow.bin', 16 * 1024 * 1024);
    await upload.sent(8 * 1024 * 1024);
    upload.pause();
    const second = await ServerUnderTest.create({ databaseUrl: server.databaseUrl, dataDir: server.dataDir });
    try {
      await second.start();
      // Its start-up sweep has looked at every temporary object by the time it answers a request.
      await graphql(second, '{ __typename }');
      await delay(1000);
      upload.resume();
      expect(await upload.finished).toEqual({ status: 200 });
      const [file] = await query<{ size: string }>(
        `SELECT b.size FROM nodes n JOIN blobs b ON b.id = n.blob_id WHERE n.name = 'slow.bin'`,
      );
      expect(file.size).toBe(String(16 * 1024 * 1024));
      expect(second.logs().filter((log) => String(log.msg).startsWith('removed temporary'))).toEqual([]);
    } finally {
      await second.remove();
    }
    await server.invariantsHold();
  });
});

const RECORD_SHARE_DOWNLOAD = `mutation ($input: RecordShareDownloadInput!) {
  recordShareDownload(input: $input) { counted }
}`;

describe('a thousand download counts on one share at once', () => {
  it('counts each exactly once, and the ranking agrees with the database', async () => {
    const file = await alice.upload(randomBytes(1000), 'counted.bin');
    const share = await alice.shareFile(file.id);
    const other = await alice.shareFile((await alice.upload(randomBytes(1000), 'other.bin')).id);
    await graphql(server, RECORD_SHARE_DOWNLOAD, { input: { id: other.id } });
    const answers = await Promise.all(
      Array.from({ length: 1000 }, () =>
        graphql<{ recordShareDownload: { counted: boolean } }>(server, RECORD_SHARE_DOWNLOAD, {
          input: { id: share.id },
        }),
      ),
    );
    expect(answers.filter((answer) => answer.data?.recordShareDownload.counted)).toHaveLength(1000);
    const ranking = await graphql<{ downloadRanking: { nodes: { id: string; downloadCount: number }[] } }>(
      server,
      `
        {
          downloadRanking(first: 2) {
            nodes {
              id
              downloadCount
            }
          }
        }
      `,
    );
    expect(ranking.data!.downloadRanking.nodes).toEqual([
      { id: share.id, downloadCount: 1000 },
      { id: other.id, downloadCount: 1 },
    ]);
    const counts = await query<{ pv: number }>(`SELECT pv FROM shares ORDER BY pv DESC LIMIT 2`);
    expect(counts.map((row) => row.pv)).toEqual([1000, 1]);
  });
});

async function temporaryObjects(): Promise<number> {
  const keys: string[] = [];
  for await (const object of server.store().list('tmp/')) keys.push(object.key);
  return keys.length;
}

async function query<Row extends object>(text: string, values: unknown[] = []): Promise<Row[]> {
  return (await withDatabase(server.databaseUrl, (client) => client.query<Row>(text, values))).rows;
}
