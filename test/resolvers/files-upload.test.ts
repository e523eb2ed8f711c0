import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { databaseUrlOf } from '../../src/db/data-source';
import { ProcessLease } from '../../src/db/process-lease';
import { BlobService } from '../../src/services/blob.service';
import { LocalBlobStore } from '../../src/storage/local.storage';
import { signUp, type TestUser } from '../helpers/accounts';
import { tinyPng } from '../helpers/images';
import { STORAGE_KINDS, unfinishedUploads } from '../helpers/s3';
import { openRawPost, postEndlessBody, type GraphQLResponse } from '../helpers/http';
import { backgroundContext, startTestApp, type TestApp } from '../helpers/test-app';
import {
  countRows,
  encodeForm,
  formAroundFile,
  storedBytes,
  storedObjects,
  uploadCode,
  uploadFile,
  uploadForm,
  type UploadAnswer,
  type UploadedFile,
} from '../helpers/uploads';
import { eventually } from '../helpers/wait';

const TWENTY_GIB = 20 * 1024 ** 3;

const hex = (algorithm: 'md5' | 'sha256', bytes: Buffer | string) =>
  createHash(algorithm).update(bytes).digest('hex');

async function blobRows(app: TestApp) {
  return app.dataSource.query<{ sha256: string; ref_count: number; storage_key: string }[]>(
    `SELECT sha256, ref_count, storage_key FROM blobs ORDER BY created_at`,
  );
}

/** Uploads the app's store has begun and not finished: multipart uploads on S3, none on disk. */
const unfinished = (app: TestApp) => (app.s3 ? unfinishedUploads(app.s3.client, app.s3.bucket) : []);

async function expectNothingKept(app: TestApp) {
  expect(await countRows(app, 'blobs')).toBe(0);
  expect(await countRows(app, 'nodes')).toBe(0);
  expect(await storedObjects(app, 'tmp')).toEqual([]);
  expect(await storedObjects(app, 'blobs')).toEqual([]);
  expect(await unfinished(app)).toEqual([]);
}

/** The file an upload answered, once sure it succeeded. */
function fileOf(answer: UploadAnswer): UploadedFile {
  expect(uploadCode(answer)).toBe('OK');
  expect(answer.data!.uploadFile.userErrors).toEqual([]);
  return answer.data!.uploadFile.file!;
}

/** That an upload was refused with the user error `code`: no top-level error, and no file. */
function expectRefused(answer: UploadAnswer, code: string) {
  expect(uploadCode(answer)).toBe(code);
  expect(answer.errors).toBeUndefined();
  expect(answer.data!.uploadFile.file).toBeNull();
}

/** Every test starts from an empty store, so "nothing kept" can be checked exactly. */
async function removeAllFiles(app: TestApp) {
  await app.dataSource.query(`DELETE FROM nodes`);
  await app.dataSource.query(`DELETE FROM blobs`);
  for (const dir of ['tmp', 'blobs'] as const) {
    for (const key of await storedObjects(app, dir)) await app.store.delete(`${dir}/${key}`);
  }
}

describe.each([
  ['on local disk, with Redis', 'local', true],
  ['on local disk, without Redis', 'local', false],
  ['on S3, with Redis', 's3', true],
] as const)('uploadFile %s', (_label, storage, redis) => {
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    app = await startTestApp({ redis, storage });
    alice = await signUp(app);
    bob = await signUp(app);
  });
  afterAll(() => app.close());
  beforeEach(() => removeAllFiles(app));

  it('refuses a declared size of 20 GiB against the default 10 GiB limit before reading the bytes', async () => {
    expect(app.config.MAX_UPLOAD_BYTES).toBe(10 * 1024 ** 3);
    const answer = await uploadFile(app, alice.token, 'small', { size: TWENTY_GIB });
    expectRefused(answer, 'PAYLOAD_TOO_LARGE');
    expect(await countRows(app, 'blobs')).toBe(0);
  });

  it('stores a PNG with the type and size read from its bytes, and both hashes', async () => {
    const png = tinyPng(3, 2);
    const answer = await uploadFile(app, alice.token, png, { filename: 'dot.png' });
    expect(fileOf(answer)).toMatchObject({
      name: 'dot.png',
      folderPath: '/',
      path: '/dot.png',
      size: png.length,
      md5: hex('md5', png),
      sha256: hex('sha256', png),
      contentType: 'image/png',
      width: 3,
      height: 2,
      downloadCount: 0,
    });
    const [stored] = await storedObjects(app, 'blobs');
    expect(await storedBytes(app, `blobs/${stored}`)).toEqual(png);
    expect(await storedObjects(app, 'tmp')).toEqual([]);
  });

  it('takes the name and folder from the arguments, creating the folder', async () => {
    const answer = await uploadFile(app, alice.token, 'text', {
      filename: 'ignored.txt',
      name: 'notes.txt',
      folder: '/docs/2024',
    });
    expect(fileOf(answer)).toMatchObject({
      name: 'notes.txt',
      folderPath: '/docs/2024',
      path: '/docs/2024/notes.txt',
      contentType: 'application/octet-stream',
      width: null,
      height: null,
    });
  });

  it('stores identical content once, counting every file that holds it', async () => {
    const bytes = randomBytes(5000);
    const first = await uploadFile(app, alice.token, bytes, { name: 'a.bin' });
    const second = await uploadFile(app, alice.token, bytes, { name: 'b.bin' });
    const third = await uploadFile(app, bob.token, bytes, { name: 'a.bin' });
    for (const answer of [first, second, third]) expect(uploadCode(answer)).toBe('OK');
    expect(await blobRows(app)).toEqual([
      expect.objectContaining({ sha256: hex('sha256', bytes), ref_count: 3 }),
    ]);
    expect(await storedObjects(app, 'blobs')).toHaveLength(1);
    expect(await storedObjects(app, 'tmp')).toEqual([]);
  });

  it('numbers a different file under a taken name: a (1).png, a (2).png, .env (1)', async () => {
    const names = [];
    for (let n = 0; n < 3; n += 1) {
      names.push(fileOf(await uploadFile(app, alice.token, `content ${n}`, { name: 'a.png' })).name);
    }
    expect(names).toEqual(['a.png', 'a (1).png', 'a (2).png']);
    await uploadFile(app, alice.token, 'one', { name: '.env' });
    expect(fileOf(await uploadFile(app, alice.token, 'two', { name: '.env' })).name).toBe('.env (1)');
  });

  it('answers the existing file when the same content is uploaded again under the same name', async () => {
    const first = await uploadFile(app, alice.token, 'same', { name: 'same.txt' });
    const again = await uploadFile(app, alice.token, 'same', { name: 'same.txt' });
    expect(fileOf(again).id).toBe(fileOf(first).id);
    expect(await countRows(app, 'nodes')).toBe(1);
    expect(await blobRows(app)).toEqual([expect.objectContaining({ ref_count: 1 })]);
  });

  it('replaces a file with REPLACE, releasing the old content', async () => {
    const first = await uploadFile(app, alice.token, 'old bytes', { name: 'r.txt' });
    const replaced = await uploadFile(app, alice.token, 'new bytes', {
      name: 'r.txt',
      onConflict: 'REPLACE',
    });
    expect(fileOf(replaced)).toMatchObject({
      id: fileOf(first).id,
      md5: hex('md5', 'new bytes'),
    });
    expect(await blobRows(app)).toEqual([expect.objectContaining({ sha256: hex('sha256', 'new bytes') })]);
    expect(await storedObjects(app, 'blobs')).toHaveLength(1);
  });

  it('answers NAME_TAKEN with FAIL and keeps neither the row nor the bytes it had already stored', async () => {
    await uploadFile(app, alice.token, 'first', { name: 'f.txt' });
    const refused = await uploadFile(app, alice.token, 'second, different', {
      name: 'f.txt',
      onConflict: 'FAIL',
    });
    expectRefused(refused, 'NAME_TAKEN');
    expect(await blobRows(app)).toEqual([expect.objectContaining({ sha256: hex('sha256', 'first') })]);
    // The new content was made permanent before the name check failed: it must go at once, not at the next sweep.
    expect(await storedObjects(app, 'blobs')).toHaveLength(1);
    expect(await storedObjects(app, 'tmp')).toEqual([]);
  });

  it('refuses NAME_TAKEN when a folder has the name, even with REPLACE', async () => {
    await uploadFile(app, alice.token, 'x', { name: 'inner.txt', folder: '/taken' });
    const refused = await uploadFile(app, alice.token, 'y', { name: 'taken', onConflict: 'REPLACE' });
    expectRefused(refused, 'NAME_TAKEN');
    expect(await countRows(app, 'blobs')).toBe(1);
  });

  it.each([
    ['an md5', { md5: hex('md5', 'something else') }],
    ['a larger size', { size: 100 }],
    ['a smaller size', { size: 3 }],
  ])('answers CONTENT_MISMATCH for %s the bytes do not have, and keeps nothing', async (_what, declared) => {
    const answer = await uploadFile(app, alice.token, 'the real bytes', declared);
    expectRefused(answer, 'CONTENT_MISMATCH');
    await expectNothingKept(app);
  });

  it('accepts a declared md5 (in any case) and size that match', async () => {
    const answer = await uploadFile(app, alice.token, 'matching', {
      md5: hex('md5', 'matching').toUpperCase(),
      size: 8,
    });
    expect(fileOf(answer).size).toBe(8);
  });

  it('answers UNAUTHENTICATED without a token and stores nothing', async () => {
    const answer = await uploadFile(app, null, randomBytes(100_000));
    expect(answer.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    await expectNothingKept(app);
  });

  it('refuses a multipart request without Apollo-Require-Preflight (CSRF) and stores nothing', async () => {
    const answer = await uploadFile(app, alice.token, 'csrf', {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(answer.status).toBe(400);
    await expectNothingKept(app);
  });

  it('answers broken multipart requests with BAD_USER_INPUT, 400 before GraphQL runs, and stores nothing', async () => {
    const { body, contentType } = await encodeForm(uploadForm('some bytes', { name: 'broken.bin' }));
    const { head, tail } = await formAroundFile(uploadForm('', { name: 'missing.bin' }));
    const boundary = `--${tail.toString().trim().slice(2, -2)}`;
    // The operations and the map name file "0", and the form ends before its part begins.
    const withoutFile = Buffer.concat([
      head.subarray(0, head.lastIndexOf(boundary)),
      Buffer.from(`${boundary}--\r\n`),
    ]);
    const cases: [string, Buffer, string, number][] = [
      ['cut inside the file', body.subarray(0, body.indexOf('some bytes') + 4), contentType, 200],
      ['the file never closed by a boundary', body.subarray(0, body.lastIndexOf('\r\n--')), contentType, 200],
      ['the mapped file missing', withoutFile, `multipart/form-data; boundary=${boundary.slice(2)}`, 200],
      ['no boundary parameter', body, 'multipart/form-data', 400],
      ['no parts at all', Buffer.from('garbage'), contentType, 400],
    ];
    for (const [label, bytes, type, status] of cases) {
      const response = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': type,
          authorization: `Bearer ${alice.token}`,
          'apollo-require-preflight': 'true',
        },
        body: bytes,
      });
      const answer = (await response.json()) as GraphQLResponse & { error?: { code: string } };
      const code = answer.errors?.[0].extensions?.code ?? answer.error?.code;
      expect({ label, status: response.status, code }).toEqual({ label, status, code: 'BAD_USER_INPUT' });
    }
    await expectNothingKept(app);
  });

  it.each([
    ['a name with a slash', { name: 'a/b.txt' }],
    ['the name ".."', { name: '..' }],
    ['a control character', { name: 'a\u0001.txt' }],
    ['a folder that climbs', { folder: '../x' }],
    ['a folder with ".." inside', { folder: '/a/../b' }],
  ])('answers a BAD_USER_INPUT user error on the field for %s and stores nothing', async (_what, options) => {
    const answer = await uploadFile(app, alice.token, 'bad', options);
    expectRefused(answer, 'BAD_USER_INPUT');
    expect(answer.data!.uploadFile.userErrors).toMatchObject([
      { code: 'BAD_USER_INPUT', field: ['input', 'name' in options ? 'name' : 'folder'] },
    ]);
    await expectNothingKept(app);
  });
});

describe.each(STORAGE_KINDS)('uploadFile limits and races on %s', (storage) => {
  // Over one S3 part (5 MiB in tests), so that a cut upload has a multipart upload to abort.
  const LIMIT = 6 * 1024 * 1024;
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    app = await startTestApp({ storage, env: { MAX_UPLOAD_BYTES: String(LIMIT) } });
    alice = await signUp(app);
    bob = await signUp(app);
  });
  afterAll(() => app.close());
  beforeEach(() => removeAllFiles(app));

  it('accepts a file of exactly MAX_UPLOAD_BYTES', async () => {
    const answer = await uploadFile(app, alice.token, randomBytes(LIMIT));
    expect(fileOf(answer).size).toBe(LIMIT);
  });

  it('answers PAYLOAD_TOO_LARGE for one byte more, and keeps nothing, not even a truncated copy', async () => {
    const answer = await uploadFile(app, alice.token, randomBytes(LIMIT + 1));
    expectRefused(answer, 'PAYLOAD_TOO_LARGE');
    expect(await countRows(app, 'blobs')).toBe(0);
    expect(await countRows(app, 'nodes')).toBe(0);
    await eventually(async () => expect(await storedObjects(app, 'tmp')).toEqual([]));
  });

  it('answers PAYLOAD_TOO_LARGE for a far larger file', async () => {
    const answer = await uploadFile(app, alice.token, randomBytes(5 * LIMIT));
    expectRefused(answer, 'PAYLOAD_TOO_LARGE');
    expect(await countRows(app, 'blobs')).toBe(0);
  });

  it('refuses a 20 GiB stream while it streams, long before its end, and keeps nothing', async () => {
    const { head, tail, contentType } = await formAroundFile(uploadForm('', { name: 'huge.bin' }));
    const { sent, answer } = await postEndlessBody(
      app,
      '/graphql',
      {
        'content-type': contentType,
        authorization: `Bearer ${alice.token}`,
        'apollo-require-preflight': 'true',
      },
      head,
      head.length + TWENTY_GIB + tail.length,
      64 * LIMIT,
    );
    expect(sent).toBeLessThan(64 * LIMIT);
    expectRefused(answer as UploadAnswer, 'PAYLOAD_TOO_LARGE');
    await eventually(async () => expect(await storedObjects(app, 'tmp')).toEqual([]));
    expect(await countRows(app, 'blobs')).toBe(0);
    expect(await countRows(app, 'nodes')).toBe(0);
  });

  it('answers PAYLOAD_TOO_LARGE for a declared size over the limit, before reading the bytes', async () => {
    const answer = await uploadFile(app, alice.token, 'small', { size: LIMIT + 1 });
    expectRefused(answer, 'PAYLOAD_TOO_LARGE');
    expect(await countRows(app, 'blobs')).toBe(0);
  });

  it('ends 8 concurrent uploads of the same new content by two users with one blob and one stored object', async () => {
    const bytes = randomBytes(200_000);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, n) =>
        uploadFile(app, n % 2 ? bob.token : alice.token, bytes, { name: `copy-${n}.bin` }),
      ),
    );
    for (const answer of answers) expect(uploadCode(answer)).toBe('OK');
    expect(await blobRows(app)).toEqual([
      expect.objectContaining({ sha256: hex('sha256', bytes), ref_count: 8 }),
    ]);
    expect(await countRows(app, 'nodes')).toBe(8);
    await eventually(async () => {
      expect(await storedObjects(app, 'blobs')).toHaveLength(1);
      expect(await storedObjects(app, 'tmp')).toEqual([]);
    });
  });

  it('numbers the name for concurrent uploads of different content under one name', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, n) => uploadFile(app, alice.token, `version ${n}`, { name: 'race.txt' })),
    );
    expect(answers.map((answer) => fileOf(answer).name).sort()).toEqual([
      'race (1).txt',
      'race (2).txt',
      'race (3).txt',
      'race (4).txt',
      'race (5).txt',
      'race.txt',
    ]);
  });

  it('keeps one file for concurrent uploads of the same content under one name', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => uploadFile(app, alice.token, 'same every time', { name: 'same.txt' })),
    );
    expect(new Set(answers.map((answer) => fileOf(answer).id)).size).toBe(1);
    expect(await blobRows(app)).toEqual([expect.objectContaining({ ref_count: 1 })]);
  });

  it('leaves no temporary file and no row when the client hangs up mid-upload', async () => {
    const { body, contentType } = await encodeForm(
      uploadForm(randomBytes(LIMIT - 1000), { name: 'cut.bin' }),
    );
    const request = openRawPost(app, '/graphql', {
      'content-type': contentType,
      'content-length': body.length,
      authorization: `Bearer ${alice.token}`,
      'apollo-require-preflight': 'true',
    });
    await request.write(body.subarray(0, body.length * 0.95));
    // A file on disk, or a multipart upload with its first part sent.
    await eventually(async () =>
      expect([...(await storedObjects(app, 'tmp')), ...(await unfinished(app))]).toHaveLength(1),
    );
    request.socket.destroy();

    await eventually(async () => expect(await storedObjects(app, 'tmp')).toEqual([]));
    await eventually(async () => expect(await unfinished(app)).toEqual([]));
    await expectNothingKept(app);
  });

  it('aborts the multipart upload and keeps nothing when the bytes pass the limit mid-part', async () => {
    const answer = await uploadFile(app, alice.token, randomBytes(LIMIT + 3 * 1024 * 1024));
    expectRefused(answer, 'PAYLOAD_TOO_LARGE');
    await eventually(async () => expect(await unfinished(app)).toEqual([]));
    await expectNothingKept(app);
  });

  it('removes bytes that were stored whole when their md5 is not the declared one', async () => {
    const answer = await uploadFile(app, alice.token, randomBytes(LIMIT), { md5: hex('md5', 'other') });
    expectRefused(answer, 'CONTENT_MISMATCH');
    await expectNothingKept(app);
  });
});

describe('the sweeper on local disk', () => {
  let app: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    app = await startTestApp();
    alice = await signUp(app);
  });
  afterAll(() => app.close());

  it('sweeps temporary objects older than an hour and stored objects no blob points at', async () => {
    expect(uploadCode(await uploadFile(app, alice.token, 'referenced, and old'))).toBe('OK');
    const [referencedKey] = await storedObjects(app, 'blobs');
    const root = path.join(app.dataDir, 'blobs');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    const place = async (key: string, old: boolean) => {
      await mkdir(path.dirname(path.join(root, key)), { recursive: true });
      await writeFile(path.join(root, key), 'x');
      if (old) await utimes(path.join(root, key), twoHoursAgo, twoHoursAgo);
    };
    const staleTemporary = `tmp/${randomUUID()}`;
    const freshTemporary = `tmp/${randomUUID()}`;
    const orphanId = randomUUID();
    const staleOrphan = `blobs/${orphanId.slice(0, 2)}/${orphanId}`;
    const freshId = randomUUID();
    const freshOrphan = `blobs/${freshId.slice(0, 2)}/${freshId}`;
    await place(staleTemporary, true);
    await place(freshTemporary, false);
    await place(staleOrphan, true);
    await place(freshOrphan, false);
    await utimes(path.join(root, 'blobs', referencedKey), twoHoursAgo, twoHoursAgo);

    const context = backgroundContext(app, 'sweep-test');
    const lease = await ProcessLease.acquire(databaseUrlOf(app.dataSource), context.log);
    try {
      const sweeper = new BlobService(new LocalBlobStore(root, lease.owner), lease);
      expect(await sweeper.sweep(context, context.log)).toEqual({ temporary: 1, unfinished: 0, orphaned: 1 });
    } finally {
      await lease.release();
    }
    expect((await storedObjects(app, 'tmp')).map((key) => `tmp/${key}`)).toEqual([freshTemporary]);
    expect((await storedObjects(app, 'blobs')).map((key) => `blobs/${key}`).sort()).toEqual(
      [freshOrphan, `blobs/${referencedKey}`].sort(),
    );
  });

  it('removes at once the temporary objects of a process that died, never those of one that lives', async () => {
    const root = path.join(app.dataDir, 'blobs');
    const context = backgroundContext(app, 'owners-test');
    const url = databaseUrlOf(app.dataSource);
    const [sweeping, living, dying] = await Promise.all(
      [1, 2, 3].map(() => ProcessLease.acquire(url, context.log)),
    );
    const write = (owner: string) =>
      new LocalBlobStore(root, owner).writeTemporary(Readable.from([Buffer.from('partial upload')]));
    const ofLiving = await write(living.owner);
    const ofDying = await write(dying.owner);
    const ofSweeper = await write(sweeping.owner);
    // Dies as a SIGKILL would have it: its connection, and with it its lease, gone.
    await dying.release();
    try {
      const sweeper = new BlobService(new LocalBlobStore(root, sweeping.owner), sweeping);
      await sweeper.sweepTemporary(context.log);
      const left = (await storedObjects(app, 'tmp')).map((key) => `tmp/${key}`);
      expect([ofLiving.key, ofDying.key, ofSweeper.key].filter((key) => left.includes(key))).toEqual([
        ofLiving.key,
        ofSweeper.key,
      ]);
      expect(ofDying.key).toMatch(new RegExp(`^tmp/${dying.owner}-`));
    } finally {
      await Promise.all([sweeping.release(), living.release()]);
      await rm(path.join(root, ofLiving.key));
      await rm(path.join(root, ofSweeper.key));
    }
  });
});
