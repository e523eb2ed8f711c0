import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { signUp, type TestUser } from '../../helpers/accounts';
import { openRawPost, postEndlessBody, postJson } from '../../helpers/http';
import {
  describeFile,
  desktopBoundary,
  desktopUploadBody,
  md5Of,
  postUpload,
  webFields,
  webUploadForm,
} from '../../helpers/legacy-upload';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { countRows, encodeForm, formAroundFile, storedObjects } from '../../helpers/uploads';
import { eventually } from '../../helpers/wait';

interface ListedFile {
  file_name: string;
  md5: string;
  size: number;
  url: string;
}

async function myFiles(app: TestApp, user: TestUser): Promise<ListedFile[]> {
  const answer = await postJson(app, '/api/myfiles?cmd=normal', {
    token: user.token,
    user: user.userName,
    start: 0,
    count: 100,
  });
  expect(answer.body.code).toBe(0);
  return (answer.body.files as ListedFile[] | undefined) ?? [];
}

async function download(url: string): Promise<Buffer> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

async function blobRows(app: TestApp) {
  return app.dataSource.query<{ md5: string; ref_count: number }[]>(`SELECT md5, ref_count FROM blobs`);
}

async function expectNothingKept(app: TestApp) {
  expect(await countRows(app, 'nodes')).toBe(0);
  expect(await countRows(app, 'blobs')).toBe(0);
  expect(await storedObjects(app, 'tmp')).toEqual([]);
  expect(await storedObjects(app, 'blobs')).toEqual([]);
}

async function emptyStorage(app: TestApp) {
  await app.dataSource.query(`DELETE FROM nodes`);
  await app.dataSource.query(`DELETE FROM blobs`);
  for (const dir of ['tmp', 'blobs'] as const) {
    for (const key of await storedObjects(app, dir)) {
      await rm(path.join(app.dataDir, 'blobs', dir, key));
    }
  }
}

const TWENTY_GIB = 20 * 1024 ** 3;
const ODD_BOUNDARY = '------WebKitFormBoundary:;<=>?@[\\]^_`0yz';

describe.each([
  ['with Redis', true],
  ['without Redis', false],
])('spec 001 /api/upload %s', (_label, redis) => {
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    app = await startTestApp({ redis });
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    await emptyStorage(app);
    alice = await signUp(app);
    bob = await signUp(app);
  });

  describe('format A (the desktop client)', () => {
    it('refuses a declared 20 GiB against the default 10 GiB limit from the head alone', async () => {
      expect(app.config.MAX_UPLOAD_BYTES).toBe(10 * 1024 ** 3);
      const boundary = desktopBoundary();
      const head = desktopUploadBody('', {
        boundary,
        parameters: { ...describeFile(alice.userName, 'huge.bin', ''), size: TWENTY_GIB },
      }).subarray(0, -Buffer.byteLength(`\r\n${boundary}`));
      const { sent, answer } = await postEndlessBody(
        app,
        '/api/upload',
        { 'content-type': 'application/json', authorization: alice.token },
        head,
        head.length + TWENTY_GIB,
        64 << 20,
      );
      expect(sent).toBeLessThan(64 << 20);
      expect(answer).toEqual({ code: 1 });
      await expectNothingKept(app);
    });

    it('stores the documented example body, sent as application/json, and answers {"code":0}', async () => {
      const source =
        '#include "mainwindow.h"\n#include <QApplication>\n#include "login.h"\n\n' +
        'int main(int argc, char *argv[])\n{\n    QApplication a(argc, argv);\n    Login w;\n' +
        '    w.show();\n\n    return a.exec();\n}\n';
      const body = desktopUploadBody(source, {
        boundary: '------WebKitFormBoundarynHRBTfOUv<p3Tewg',
        separator: ' ',
        parameters: { ...describeFile(alice.userName, 'main.cpp', source), token: alice.token },
      });
      const answer = await postUpload(app, body);
      expect(answer).toEqual({ status: 200, body: { code: 0 } });
      const [file] = await myFiles(app, alice);
      expect(file).toMatchObject({ file_name: 'main.cpp', md5: md5Of(source), size: source.length });
      expect((await download(file.url)).toString()).toBe(source);
    });

    it.each([
      ['', ' '],
      ['--', ' '],
      ['\r\n', '; '],
      ['--\r\n', '; '],
    ] as const)(
      'accepts a boundary of odd characters ending %j, parameters separated by %j',
      async (ending, separator) => {
        // Bytes that end like a boundary and hold a CRLF, a dash run and half a boundary.
        const bytes = Buffer.concat([
          randomBytes(70_000),
          Buffer.from(`\r\n------WebKitFormBoundary\r\n--\r\n${ODD_BOUNDARY.slice(0, 30)}\r\n`),
        ]);
        const body = desktopUploadBody(bytes, {
          boundary: ODD_BOUNDARY,
          ending,
          separator,
          parameters: describeFile(alice.userName, 'odd.bin', bytes),
        });
        expect((await postUpload(app, body, { authorization: `Bearer ${alice.token}` })).body).toEqual({
          code: 0,
        });
        const [file] = await myFiles(app, alice);
        expect(await download(file.url)).toEqual(bytes);
      },
    );

    it('accepts random desktop boundaries, empty files and application/octet-stream', async () => {
      for (let n = 0; n < 5; n += 1) {
        const bytes = n === 0 ? Buffer.alloc(0) : randomBytes(1000 * n);
        const body = desktopUploadBody(bytes, {
          boundary: desktopBoundary(),
          parameters: describeFile(alice.userName, `f${n}.bin`, bytes),
        });
        const answer = await postUpload(app, body, {
          'content-type': 'application/octet-stream',
          authorization: alice.token,
        });
        expect(answer.body).toEqual({ code: 0 });
      }
      expect((await myFiles(app, alice)).map((file) => [file.file_name, file.size]).sort()).toEqual([
        ['f0.bin', 0],
        ['f1.bin', 1000],
        ['f2.bin', 2000],
        ['f3.bin', 3000],
        ['f4.bin', 4000],
      ]);
    });

    it('reads the token from the Authorization header, a cookie or a token parameter', async () => {
      const sends: [string, Record<string, string>, Record<string, string>][] = [
        ['bearer.txt', { authorization: `Bearer ${alice.token}` }, {}],
        ['bare.txt', { authorization: alice.token }, {}],
        ['cookie.txt', { cookie: `userName=${alice.userName}; token=${alice.token}` }, {}],
        ['param.txt', {}, { token: alice.token }],
      ];
      for (const [name, headers, extra] of sends) {
        const body = desktopUploadBody(name, {
          parameters: { ...describeFile(alice.userName, name, name), ...extra },
        });
        expect((await postUpload(app, body, headers)).body).toEqual({ code: 0 });
      }
      expect((await myFiles(app, alice)).map((file) => file.file_name).sort()).toEqual([
        'bare.txt',
        'bearer.txt',
        'cookie.txt',
        'param.txt',
      ]);
    });

    it('answers 4 and keeps nothing without a valid token or for another user than the token’s', async () => {
      const bytes = 'not yours';
      for (const [parameters, headers] of [
        [describeFile(alice.userName, 'a.txt', bytes), {}],
        [describeFile(alice.userName, 'a.txt', bytes), { authorization: md5Of('forged') }],
        [describeFile(bob.userName, 'a.txt', bytes), { authorization: alice.token }],
        [{ ...describeFile(bob.userName, 'a.txt', bytes), token: alice.token }, {}],
      ] as const) {
        const answer = await postUpload(app, desktopUploadBody(bytes, { parameters }), headers);
        expect(answer).toEqual({ status: 200, body: { code: 4 } });
      }
      await expectNothingKept(app);
    });

    it('answers 1 with HTTP 200 and keeps nothing for every malformed body', async () => {
      const bytes = Buffer.from('some bytes\r\n');
      const good = describeFile(alice.userName, 'x.txt', bytes);
      const boundary = desktopBoundary();
      const part = (parameters: Record<string, string | number | undefined>) =>
        desktopUploadBody(bytes, { boundary, parameters });
      const whole = part(good);
      const bodies: [string, Buffer][] = [
        ['empty', Buffer.alloc(0)],
        ['JSON', Buffer.from(JSON.stringify(good))],
        ['no boundary line', whole.subarray(boundary.length + 2)],
        ['no blank line after the headers', Buffer.from(`${boundary}\r\nContent-Disposition: form-data;`)],
        ['truncated in the bytes', whole.subarray(0, whole.length - boundary.length - 6)],
        [
          'boundary never closed',
          Buffer.concat([whole.subarray(0, whole.length - boundary.length), Buffer.from('--')]),
        ],
        ['other bytes after the boundary', Buffer.concat([whole, Buffer.from('--\r\nmore parts')])],
        [
          'no Content-Disposition',
          Buffer.from(`${boundary}\r\nContent-Type: text/plain\r\n\r\nabc\r\n${boundary}`),
        ],
        ['no filename', part({ ...good, filename: undefined })],
        ['no md5', part({ ...good, md5: undefined })],
        ['no size', part({ ...good, size: undefined })],
        ['md5 not 32 hex', part({ ...good, md5: 'z'.repeat(32) })],
        ['md5 too short', part({ ...good, md5: good.md5.slice(1) })],
        ['size not a number', part({ ...good, size: 'twelve' })],
        ['negative size', part({ ...good, size: -12 })],
        ['size that is too small', part({ ...good, size: bytes.length - 1 })],
        ['size that is too large', part({ ...good, size: bytes.length + 1 })],
        ['md5 of other bytes', part({ ...good, md5: md5Of('other') })],
        ['name climbing out', part({ ...good, filename: '../x.txt' })],
        ['name with a slash', part({ ...good, filename: 'a/x.txt' })],
        ['name with NUL', part({ ...good, filename: 'x\u0000.txt' })],
        ['name of 10 000 characters', part({ ...good, filename: 'n'.repeat(10_000) })],
        ['name that is ..', part({ ...good, filename: '..' })],
        ['a repeated parameter', part({ ...good, filename: 'x.txt" filename="y.txt' })],
        ['headers over 64 KiB', part({ ...good, filename: 'n'.repeat(70_000) })],
      ];
      for (const [label, body] of bodies) {
        const answer = await postUpload(app, body, { authorization: alice.token });
        expect({ label, answer }).toEqual({ label, answer: { status: 200, body: { code: 1 } } });
      }
      await expectNothingKept(app);
    });

    it('keeps one copy when the same (md5, name) is uploaded again, and renames a different file', async () => {
      const first = Buffer.from('first version');
      const second = Buffer.from('second version');
      const send = (bytes: Buffer) =>
        postUpload(
          app,
          desktopUploadBody(bytes, { parameters: describeFile(alice.userName, 'doc.txt', bytes) }),
          {
            authorization: alice.token,
          },
        );
      expect((await send(first)).body).toEqual({ code: 0 });
      expect((await send(first)).body).toEqual({ code: 0 });
      expect(await myFiles(app, alice)).toHaveLength(1);
      expect(await blobRows(app)).toEqual([{ md5: md5Of(first), ref_count: 1 }]);

      expect((await send(second)).body).toEqual({ code: 0 });
      const files = await myFiles(app, alice);
      expect(files.map((file) => [file.file_name, file.md5]).sort()).toEqual([
        ['doc (1).txt', md5Of(second)],
        ['doc.txt', md5Of(first)],
      ]);
    });

    it('stores the same bytes once when two users upload them at the same time', async () => {
      const bytes = randomBytes(300_000);
      const answers = await Promise.all(
        [alice, bob].map((user) =>
          postUpload(
            app,
            desktopUploadBody(bytes, { parameters: describeFile(user.userName, 'same.bin', bytes) }),
            {
              authorization: user.token,
            },
          ),
        ),
      );
      expect(answers.map((answer) => answer.body)).toEqual([{ code: 0 }, { code: 0 }]);
      expect(await blobRows(app)).toEqual([{ md5: md5Of(bytes), ref_count: 2 }]);
      expect(await storedObjects(app, 'blobs')).toHaveLength(1);
      await eventually(async () => expect(await storedObjects(app, 'tmp')).toEqual([]));
    });

    it('keeps nothing of a client killed mid-upload', async () => {
      const bytes = randomBytes(4 << 20);
      const body = desktopUploadBody(bytes, { parameters: describeFile(alice.userName, 'cut.bin', bytes) });
      const client = openRawPost(app, '/api/upload', {
        'content-type': 'application/json',
        'content-length': body.length,
        authorization: alice.token,
      });
      await client.write(body.subarray(0, body.length >> 1));
      await eventually(async () => expect(await storedObjects(app, 'tmp')).toHaveLength(1));
      client.socket.destroy();
      await eventually(async () => expect(await storedObjects(app, 'tmp')).toEqual([]));
      await expectNothingKept(app);
    });
  });

  describe('format B (the web client)', () => {
    it('stores a multipart form with file, user, md5 and size, the token in a cookie', async () => {
      const bytes = randomBytes(50_000);
      const form = webUploadForm('photo.jpg', bytes, webFields(alice.userName, bytes));
      const answer = await postUpload(app, form, {
        cookie: `userName=${alice.userName}; token=${alice.token}`,
      });
      expect(answer).toEqual({ status: 200, body: { code: 0 } });
      const [file] = await myFiles(app, alice);
      expect(file).toMatchObject({ file_name: 'photo.jpg', md5: md5Of(bytes), size: bytes.length });
      expect(await download(file.url)).toEqual(bytes);
    });

    it('reads the token from the Authorization header or a token part before the file', async () => {
      const byHeader = webUploadForm('h.txt', 'h', webFields(alice.userName, 'h'));
      expect((await postUpload(app, byHeader, { authorization: `Bearer ${alice.token}` })).body).toEqual({
        code: 0,
      });
      const byPart = webUploadForm('p.txt', 'p', webFields(alice.userName, 'p'), { token: alice.token });
      expect((await postUpload(app, byPart)).body).toEqual({ code: 0 });
      expect((await myFiles(app, alice)).map((file) => file.file_name).sort()).toEqual(['h.txt', 'p.txt']);
    });

    it('keeps nothing of a web client killed mid-upload', async () => {
      const bytes = randomBytes(4 << 20);
      const { body, contentType } = await encodeForm(
        webUploadForm('cut.bin', bytes, webFields(alice.userName, bytes)),
      );
      const client = openRawPost(app, '/api/upload', {
        'content-type': contentType,
        'content-length': body.length,
        cookie: `token=${alice.token}`,
      });
      await client.write(body.subarray(0, body.length >> 1));
      await eventually(async () => expect(await storedObjects(app, 'tmp')).toHaveLength(1));
      client.socket.destroy();
      await eventually(async () => expect(await storedObjects(app, 'tmp')).toEqual([]));
      await expectNothingKept(app);
    });

    it('answers 4 and keeps nothing for a bad token or another user than the token’s', async () => {
      const bytes = 'web bytes';
      const forms: [FormData, Record<string, string>][] = [
        [webUploadForm('a.txt', bytes, webFields(alice.userName, bytes)), {}],
        [webUploadForm('a.txt', bytes, webFields(alice.userName, bytes)), { cookie: 'token=0000' }],
        [webUploadForm('a.txt', bytes, webFields(bob.userName, bytes)), { cookie: `token=${alice.token}` }],
      ];
      for (const [form, headers] of forms) {
        expect(await postUpload(app, form, headers)).toEqual({ status: 200, body: { code: 4 } });
      }
      await expectNothingKept(app);
    });

    it('answers 1 and keeps nothing for malformed forms', async () => {
      const bytes = Buffer.from('web bytes');
      const good = webFields(alice.userName, bytes);
      const forms: [string, FormData][] = [
        [
          'no file part',
          (() => {
            const form = new FormData();
            for (const [name, value] of Object.entries(good)) form.set(name, String(value));
            return form;
          })(),
        ],
        ['no md5', webUploadForm('a.txt', bytes, { ...good, md5: undefined })],
        ['no size', webUploadForm('a.txt', bytes, { ...good, size: undefined })],
        ['md5 not hex', webUploadForm('a.txt', bytes, { ...good, md5: 'q'.repeat(32) })],
        ['md5 of other bytes', webUploadForm('a.txt', bytes, { ...good, md5: md5Of('x') })],
        ['size not a number', webUploadForm('a.txt', bytes, { ...good, size: '9 bytes' })],
        ['size that lies', webUploadForm('a.txt', bytes, { ...good, size: bytes.length + 5 })],
        ['name climbing out', webUploadForm('../a.txt', bytes, good)],
        ['name with a slash', webUploadForm('dir/a.txt', bytes, good)],
        ['name of 10 000 characters', webUploadForm('n'.repeat(10_000), bytes, good)],
      ];
      for (const [label, form] of forms) {
        const answer = await postUpload(app, form, { authorization: alice.token });
        expect({ label, answer }).toEqual({ label, answer: { status: 200, body: { code: 1 } } });
      }
      const { body, contentType } = await encodeForm(webUploadForm('a.txt', bytes, good));
      const raw: [string, Buffer, string][] = [
        ['no boundary parameter', body, 'multipart/form-data'],
        ['truncated', body.subarray(0, body.length - 60), contentType],
        ['ended inside the file', body.subarray(0, body.indexOf(bytes) + 3), contentType],
        ['never closed', body.subarray(0, body.length - 4), contentType],
        ['another boundary', body, 'multipart/form-data; boundary=somethingelse'],
      ];
      for (const [label, bytesSent, type] of raw) {
        const answer = await postUpload(app, bytesSent, { 'content-type': type, authorization: alice.token });
        expect({ label, answer }).toEqual({ label, answer: { status: 200, body: { code: 1 } } });
      }
      await expectNothingKept(app);
    });
  });
});

describe('spec 001 /api/upload above MAX_UPLOAD_BYTES', () => {
  let app: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    app = await startTestApp({ env: { MAX_UPLOAD_BYTES: String(1 << 20) } });
    alice = await signUp(app);
  });
  afterAll(() => app.close());

  it('refuses a declared size above the limit before the bytes are sent', async () => {
    const bytes = randomBytes(3 << 20);
    const body = desktopUploadBody(bytes, { parameters: describeFile(alice.userName, 'big.bin', bytes) });
    const client = openRawPost(app, '/api/upload', {
      'content-type': 'application/json',
      'content-length': body.length,
      authorization: alice.token,
    });
    await client.write(body.subarray(0, 64 * 1024));
    await eventually(async () => expect(client.received()).toMatch(/\r\n\r\n\{"code":1\}$/));
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 /);
    client.socket.destroy();
    await expectNothingKept(app);
  });

  it('refuses a 20 GiB web-client file while it streams, long before its end, and keeps nothing', async () => {
    const { head, tail, contentType } = await formAroundFile(webUploadForm('huge.bin', '', {}));
    const { sent, answer } = await postEndlessBody(
      app,
      '/api/upload',
      { 'content-type': contentType, cookie: `userName=${alice.userName}; token=${alice.token}` },
      head,
      head.length + TWENTY_GIB + tail.length,
      64 << 20,
    );
    expect(sent).toBeLessThan(64 << 20);
    expect(answer).toEqual({ code: 1 });
    await eventually(() => expectNothingKept(app));
  });

  it('refuses bytes beyond the limit while they stream, whatever size was declared', async () => {
    const bytes = randomBytes(3 << 20);
    const lying = desktopUploadBody(bytes, {
      parameters: { ...describeFile(alice.userName, 'big.bin', bytes), size: 1000 },
    });
    expect((await postUpload(app, lying, { authorization: alice.token })).body).toEqual({ code: 1 });
    const web = webUploadForm('big.bin', bytes, webFields(alice.userName, bytes));
    expect((await postUpload(app, web, { authorization: alice.token })).body).toEqual({ code: 1 });
    await eventually(() => expectNothingKept(app));
  });

  it('still takes an upload at the limit', async () => {
    const bytes = randomBytes(1 << 20);
    const body = desktopUploadBody(bytes, { parameters: describeFile(alice.userName, 'limit.bin', bytes) });
    expect((await postUpload(app, body, { authorization: alice.token })).body).toEqual({ code: 0 });
  });
});
