import fc from 'fast-check';
import domain from 'node:domain';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { mutate, mutationArb, type Mutation } from '../../helpers/body-mutations';
import { md5, signUp, type TestUser } from '../../helpers/accounts';
import { postJson } from '../../helpers/http';
import { tinyPng } from '../../helpers/images';
import {
  describeFile,
  desktopUploadBody,
  md5Of,
  postUpload,
  webUploadForm,
} from '../../helpers/legacy-upload';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { encodeForm, storedObjects } from '../../helpers/uploads';

jest.setTimeout(240_000);

// ---------------------------------------------------------------------------------------------------
// Sending a request exactly as built, and describing it when a rule breaks
// ---------------------------------------------------------------------------------------------------

interface RawRequest {
  method: 'POST' | 'GET';
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Sizes of the pieces a chunked body is written in (cycled); null sends it whole with Content-Length. */
  chunks: number[] | null;
}

interface RawAnswer {
  status: number;
  contentType: string;
  text: string;
}

/** No answer here takes more than a few hundred milliseconds; one this late is never coming. */
const ANSWER_WITHIN_MS = 15_000;

function describeRequest(request: RawRequest): string {
  const body = request.body.toString('latin1');
  return [
    `${request.method} ${request.path}`,
    ...Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`),
    request.chunks === null
      ? `(Content-Length: ${request.body.length})`
      : `(Transfer-Encoding: chunked, pieces of ${request.chunks.join(', ')} bytes)`,
    `body (${request.body.length} bytes, latin1): ${JSON.stringify(body.length > 1500 ? `${body.slice(0, 1500)}…` : body)}`,
  ].join('\n  ');
}

/** Throws with the request and answer spelled out, so the shrunk counterexample says what broke. */
function broken(rule: string, request: RawRequest, answer?: RawAnswer): never {
  const answered = answer
    ? `\nanswer: HTTP ${answer.status} ${answer.contentType}\n  ${answer.text.slice(0, 800)}`
    : '';
  throw new Error(`${rule}\nrequest:\n  ${describeRequest(request)}${answered}`);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function send(app: TestApp, request: RawRequest): Promise<RawAnswer> {
  const { port } = new URL(app.url);
  const headers: Record<string, string> = { ...request.headers };
  if (request.chunks === null) headers['content-length'] = String(request.body.length);
  else headers['transfer-encoding'] = 'chunked';
  return new Promise<RawAnswer>((resolve, reject) => {
    const outgoing = http.request(
      { host: '127.0.0.1', port, method: request.method, path: request.path, headers, agent },
      (response) => {
        const pieces: Buffer[] = [];
        response.on('data', (piece: Buffer) => pieces.push(piece));
        response.on('error', reject);
        response.on('end', () => {
          clearTimeout(timer);
          resolve({
            status: response.statusCode ?? 0,
            contentType: response.headers['content-type'] ?? '',
            text: Buffer.concat(pieces).toString('utf8'),
          });
        });
      },
    );
    const timer = setTimeout(() => {
      outgoing.destroy();
      reject(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`));
    }, ANSWER_WITHIN_MS);
    outgoing.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    outgoing.on('socket', (socket) => socket.setNoDelay(true));
    if (request.chunks === null) {
      outgoing.end(request.body);
      return;
    }
    const sizes = request.chunks;
    void (async () => {
      // Each piece is its own chunk on the wire, and its own read on the server once given a turn.
      for (let at = 0, index = 0; at < request.body.length; index += 1) {
        const size = sizes[index % sizes.length];
        outgoing.write(request.body.subarray(at, at + size));
        at += size;
        await new Promise((resolve) => setImmediate(resolve));
      }
      outgoing.end();
    })();
  });
}

/**
 * Errors the app emitted where nothing listened. The app runs inside a domain, which collects them;
 * in production each is an uncaught exception, and the process exits.
 */
const unheard: string[] = [];

async function exchange(app: TestApp, request: RawRequest): Promise<RawAnswer> {
  let answer: RawAnswer;
  try {
    answer = await send(app, request);
  } catch (error) {
    return broken(`the request got no answer: ${String(error)}`, request);
  }
  await new Promise((resolve) => setImmediate(resolve));
  if (unheard.length) {
    broken(
      `the server raised an error nobody listens to (it would exit): ${unheard.splice(0).join('; ')}`,
      request,
      answer,
    );
  }
  return answer;
}

// ---------------------------------------------------------------------------------------------------
// What the database and the blob store hold, for "nothing was kept"
// ---------------------------------------------------------------------------------------------------

interface Snapshot {
  nodes: number;
  blobs: number;
  shares: number;
  picture_shares: number;
  users: number;
  sessions: number;
  /** md5 of every row, so a refused request that changed a row (not only the count) shows too. */
  digest: string;
}

const rowsDigest = (table: string) =>
  `(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM ${table} t)`;

async function snapshot(app: TestApp): Promise<Snapshot> {
  await app.settled();
  const [row] = await app.dataSource.query<Snapshot[]>(
    `SELECT (SELECT count(*)::int FROM nodes) AS nodes,
            (SELECT count(*)::int FROM blobs) AS blobs,
            (SELECT count(*)::int FROM shares) AS shares,
            (SELECT count(*)::int FROM picture_shares) AS picture_shares,
            (SELECT count(*)::int FROM users) AS users,
            (SELECT count(*)::int FROM sessions) AS sessions,
            md5(${['nodes', 'blobs', 'shares', 'picture_shares', 'users'].map(rowsDigest).join(' || ')}) AS digest`,
  );
  return row;
}

/** Every stored object belongs to a blob row and no temporary object outlives its request. */
async function expectStoreConsistent(app: TestApp, request: RawRequest, answer: RawAnswer): Promise<void> {
  const temporary = await storedObjects(app, 'tmp');
  if (temporary.length)
    broken(`temporary objects were left behind: ${temporary.join(', ')}`, request, answer);
  const [{ n }] = await app.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM blobs`);
  const kept = await storedObjects(app, 'blobs');
  if (kept.length !== n) broken(`${kept.length} stored objects for ${n} blob rows`, request, answer);
}

async function expectNothingKept(
  app: TestApp,
  before: Snapshot,
  request: RawRequest,
  answer: RawAnswer,
): Promise<void> {
  const after = await snapshot(app);
  if (JSON.stringify(after) !== JSON.stringify(before)) {
    broken(
      `a refused request changed what is stored: ${JSON.stringify(before)} → ${JSON.stringify(after)}`,
      request,
      answer,
    );
  }
  await expectStoreConsistent(app, request, answer);
}

// ---------------------------------------------------------------------------------------------------
// Spec 001's answers, route by route
// ---------------------------------------------------------------------------------------------------

/** The shape of an answer with code 0. */
type Success = 'code' | 'token' | 'total' | 'files' | 'shares' | 'ranking' | 'pictures' | 'urlmd5' | 'view';

interface Command {
  /** The codes spec 001 documents for the command, plus 4 where ARCHITECTURE.md maps a failed token check to it. */
  codes: number[];
  success: Success;
  /** The body fields spec 001 documents for it. */
  fields: string[];
}

interface Route {
  path: string;
  methods: ('POST' | 'GET')[];
  /** Keyed by `cmd`; a route without commands has the single key ''. */
  commands: Record<string, Command>;
}

const OWNER = ['token', 'user'];
const PAGE = ['start', 'count'];
const NAMED_FILE = [...OWNER, 'md5', 'filename'];

const ROUTES: Route[] = [
  {
    path: '/api/reg',
    methods: ['POST'],
    commands: {
      '': {
        codes: [0, 1, 2],
        success: 'code',
        fields: ['userName', 'nickName', 'firstPwd', 'email', 'phone'],
      },
    },
  },
  {
    path: '/api/login',
    methods: ['POST'],
    commands: { '': { codes: [0, 1], success: 'token', fields: ['user', 'pwd'] } },
  },
  {
    path: '/api/md5',
    methods: ['POST'],
    commands: { '': { codes: [0, 1, 4, 5], success: 'code', fields: [...OWNER, 'md5', 'fileName'] } },
  },
  {
    path: '/api/myfiles',
    methods: ['POST'],
    commands: {
      count: { codes: [0, 1], success: 'total', fields: OWNER },
      normal: { codes: [0, 1], success: 'files', fields: [...OWNER, ...PAGE] },
      pvasc: { codes: [0, 1], success: 'files', fields: [...OWNER, ...PAGE] },
      pvdesc: { codes: [0, 1], success: 'files', fields: [...OWNER, ...PAGE] },
    },
  },
  {
    path: '/api/dealfile',
    methods: ['POST'],
    commands: {
      share: { codes: [0, 1, 3, 4], success: 'code', fields: NAMED_FILE },
      del: { codes: [0, 1, 4], success: 'code', fields: NAMED_FILE },
      pv: { codes: [0, 1, 4], success: 'code', fields: NAMED_FILE },
    },
  },
  {
    path: '/api/dealsharefile',
    methods: ['POST'],
    commands: {
      cancel: { codes: [0, 1, 4], success: 'code', fields: NAMED_FILE },
      save: { codes: [0, 1, 4, 5], success: 'code', fields: NAMED_FILE },
      pv: { codes: [0, 1], success: 'code', fields: ['user', 'md5', 'filename'] },
    },
  },
  {
    path: '/api/sharefiles',
    methods: ['POST', 'GET'],
    commands: {
      count: { codes: [0, 1], success: 'total', fields: [] },
      normal: { codes: [0, 1], success: 'shares', fields: PAGE },
      pvdesc: { codes: [0, 1], success: 'ranking', fields: PAGE },
    },
  },
  {
    path: '/api/sharepic',
    methods: ['POST'],
    commands: {
      share: { codes: [0, 1, 4], success: 'urlmd5', fields: NAMED_FILE },
      browse: { codes: [0, 1, 2], success: 'view', fields: ['urlmd5'] },
      normal: { codes: [0, 1, 4], success: 'pictures', fields: [...OWNER, ...PAGE] },
      cancel: { codes: [0, 1, 4], success: 'code', fields: [...OWNER, 'urlmd5'] },
    },
  },
];

const UNKNOWN_COMMAND: Command = { codes: [1], success: 'code', fields: [] };

const FILE_ENTRY = ['user', 'md5', 'create_time', 'file_name', 'share_status', 'pv', 'url', 'size', 'type'];
const ENTRY_FIELDS: Partial<Record<Success, string[]>> = {
  files: FILE_ENTRY,
  shares: FILE_ENTRY,
  ranking: ['filename', 'pv'],
  pictures: ['user', 'filemd5', 'file_name', 'urlmd5', 'pv', 'create_time', 'size'],
};
const LEGACY_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const isCount = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;
const sameKeys = (value: object, keys: string[]) =>
  JSON.stringify(Object.keys(value).sort()) === JSON.stringify([...keys].sort());

/** Whether a code-0 answer carries exactly the documented fields for its kind. */
function documentedSuccess(success: Success, answer: Record<string, unknown>): boolean {
  switch (success) {
    case 'code':
      return sameKeys(answer, ['code']);
    case 'token':
      return sameKeys(answer, ['code', 'token']) && /^[0-9a-f]{32}$/.test(String(answer.token));
    case 'total':
      return sameKeys(answer, ['code', 'total']) && isCount(answer.total);
    case 'urlmd5':
      return sameKeys(answer, ['code', 'urlmd5']) && /^[0-9a-f]{32}$/.test(String(answer.urlmd5));
    case 'view':
      return (
        sameKeys(answer, ['code', 'url', 'user', 'pv', 'time']) &&
        typeof answer.url === 'string' &&
        typeof answer.user === 'string' &&
        isCount(answer.pv) &&
        LEGACY_TIME.test(String(answer.time))
      );
    case 'files':
    case 'shares':
    case 'ranking':
    case 'pictures': {
      const { count, total, files } = answer;
      if (!isCount(count) || !isCount(total) || (count as number) > (total as number)) return false;
      if (count === 0) return sameKeys(answer, ['code', 'count', 'total']);
      return (
        sameKeys(answer, ['code', 'count', 'total', 'files']) &&
        Array.isArray(files) &&
        files.length === count &&
        files.every(
          (entry: unknown) =>
            typeof entry === 'object' && entry !== null && sameKeys(entry, ENTRY_FIELDS[success]!),
        )
      );
    }
  }
}

/** HTTP 200, a JSON object `{code}` with a code documented for `command`, and only documented fields. */
function expectDocumentedAnswer(request: RawRequest, answer: RawAnswer, command: Command): number {
  if (answer.status !== 200) broken(`HTTP ${answer.status} instead of 200`, request, answer);
  if (!/^application\/json\b/i.test(answer.contentType)) broken('the answer is not JSON', request, answer);
  if (/<html|<!doctype|\bat .+:\d+:\d+\)?$/im.test(answer.text)) {
    broken('the answer holds an HTML page or a stack trace', request, answer);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    return broken('the answer does not parse as JSON', request, answer);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return broken('the answer is not a JSON object', request, answer);
  }
  const body = parsed as Record<string, unknown>;
  const code = body.code;
  if (typeof code !== 'number' || !Number.isInteger(code))
    broken('`code` is not an integer', request, answer);
  if (!command.codes.includes(code)) {
    broken(`code ${code} is not one of ${command.codes.join(', ')} documented here`, request, answer);
  }
  if (code !== 0 && !sameKeys(body, ['code']))
    broken('a failure carries more than its code', request, answer);
  if (code === 0 && !documentedSuccess(command.success, body)) {
    broken(`a success that is not the documented "${command.success}" answer`, request, answer);
  }
  return code;
}

// ---------------------------------------------------------------------------------------------------
// The accounts and files the fuzzed requests can name
// ---------------------------------------------------------------------------------------------------

const SEED_NAME = 'seed.png';
const SEED_BYTES = tinyPng(3, 2);

interface World {
  alice: TestUser;
  bob: TestUser;
  aliceId: string;
  bobId: string;
  /** The key of the picture share of alice's seed file. */
  pictureKey: string;
}

/**
 * Real values the requests may carry, per field, so that some of them get past the token check and
 * name files that exist. Chosen by index when the request is built.
 */
let freshNames = 0;

function realValues(world: World): Record<string, unknown[]> {
  const { alice, bob } = world;
  return {
    user: [alice.userName, alice.userName.toUpperCase(), bob.userName],
    token: [alice.token, bob.token, alice.token.toUpperCase()],
    md5: [md5Of(SEED_BYTES), md5Of(SEED_BYTES).toUpperCase()],
    filename: [SEED_NAME, 'copy.png'],
    fileName: [SEED_NAME, 'copy.png'],
    start: [0, 1],
    count: [1, 10, 1000],
    urlmd5: [world.pictureKey],
    userName: [alice.userName, `fz_${(freshNames += 1)}_${alice.userName.slice(-6)}`],
    nickName: ['nick'],
    firstPwd: [md5('fuzzed password')],
    pwd: [md5(alice.password)],
    email: ['fuzz@example.com'],
    phone: ['18612345678'],
  };
}

const KNOWN_FIELDS = [
  'user',
  'token',
  'md5',
  'filename',
  'fileName',
  'start',
  'count',
  'urlmd5',
  'userName',
  'nickName',
  'firstPwd',
  'pwd',
  'email',
  'phone',
] as const;

/** Puts back whatever earlier fuzzed requests removed: alice's seed file, its share and its picture share. */
async function ensureSeed(app: TestApp, world: World): Promise<void> {
  const owned = async () =>
    (
      await app.dataSource.query<{ id: string; shared: number; key: string | null }[]>(
        `SELECT n.id,
                (SELECT count(*)::int FROM shares s WHERE s.md5 = $3 AND s.name = n.name) AS shared,
                (SELECT p.key FROM picture_shares p WHERE p.node_id = n.id) AS key
           FROM nodes n WHERE n.owner_id = $1 AND n.dir = '/' AND n.name = $2`,
        [world.aliceId, SEED_NAME, md5Of(SEED_BYTES)],
      )
    )[0];
  let seed = await owned();
  if (!seed) {
    const body = desktopUploadBody(SEED_BYTES, {
      parameters: describeFile(world.alice.userName, SEED_NAME, SEED_BYTES),
    });
    const uploaded = await postUpload(app, body, { authorization: world.alice.token });
    if (uploaded.body.code !== 0)
      throw new Error(`could not upload the seed file: ${JSON.stringify(uploaded)}`);
    seed = (await owned())!;
  }
  const owner = {
    token: world.alice.token,
    user: world.alice.userName,
    md5: md5Of(SEED_BYTES),
    filename: SEED_NAME,
  };
  if (!seed.shared) await postJson(app, '/api/dealfile?cmd=share', owner);
  if (!seed.key) {
    const shared = await postJson(app, '/api/sharepic?cmd=share', owner);
    world.pictureKey = shared.body.urlmd5 as string;
  } else world.pictureKey = seed.key;
}

// ---------------------------------------------------------------------------------------------------
// Arbitrary JSON-route requests
// ---------------------------------------------------------------------------------------------------

/** A field's value: one of the real ones, any JSON value, or JSON text that JSON.stringify cannot make. */
type FieldValue = { real: number } | { json: unknown } | { literal: string };

const longString = fc
  .tuple(
    fc.integer({ min: 200, max: 6000 }),
    fc.constantFrom('a', 'é', '文', '😀', '\u0000', '/', '.', '%', '"'),
  )
  .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length)));

const stringValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([a, b]) => `${a}\u0000${b}`),
  fc.stringMatching(/^[0-9a-fA-F]{30,34}$/),
  fc.constantFrom(
    '',
    ' ',
    '..',
    '../seed.png',
    'a/b',
    'seed.png ',
    'SEED.PNG',
    'null',
    '0',
    '-1',
    '1e3',
    '\ud800',
  ),
  longString,
);

const numberValue = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.5,
    999,
    1000,
    1001,
    2 ** 31,
    2 ** 53,
    -(2 ** 53),
    1e21,
    1e308,
    Number.MIN_VALUE,
  ),
);

const fieldValueArb: fc.Arbitrary<FieldValue> = fc.oneof(
  { weight: 3, arbitrary: fc.nat({ max: 2 }).map((real) => ({ real })) },
  { weight: 4, arbitrary: stringValue.map((json) => ({ json })) },
  { weight: 2, arbitrary: numberValue.map((json) => ({ json })) },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null).map((json) => ({ json })) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }), fc.jsonValue({ maxDepth: 3 }))
      .map((json) => ({ json })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '1e400',
        '-1e400',
        '1E-400',
        '123456789012345678901234567890',
        '-0',
        '1.0',
        '0.0e5',
        '1e3',
      )
      .map((literal) => ({ literal })),
  },
);

type JsonBody =
  | { kind: 'fields'; fields: [string, FieldValue][] }
  | { kind: 'json'; text: string }
  | { kind: 'raw'; bytes: Uint8Array }
  | { kind: 'text'; text: string }
  | { kind: 'oversized' };

/** Known fields with arbitrary values, real ones for most in a fraction of cases, plus odd extra keys. */
const fieldsArb: fc.Arbitrary<JsonBody> = fc
  .record({
    names: fc.subarray([...KNOWN_FIELDS]),
    values: fc.array(fieldValueArb, { minLength: KNOWN_FIELDS.length, maxLength: KNOWN_FIELDS.length }),
    mostlyReal: fc.boolean(),
    realPicks: fc.array(fc.nat({ max: 2 }), {
      minLength: KNOWN_FIELDS.length,
      maxLength: KNOWN_FIELDS.length,
    }),
    fuzzedOne: fc.nat(),
    extras: fc.array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom('__proto__', 'constructor', 'toString', 'cmd', 'User', 'TOKEN', ''),
          fc.string(),
        ),
        fieldValueArb,
      ),
      { maxLength: 2 },
    ),
    repeated: fc.option(fc.tuple(fc.constantFrom(...KNOWN_FIELDS), fieldValueArb), { nil: undefined }),
  })
  .map(({ names, values, mostlyReal, realPicks, fuzzedOne, extras, repeated }) => {
    // Mostly real: every field real but one, so the one fuzzed field meets code that trusts the rest.
    const fields = names.map((name, at): [string, FieldValue] => [
      name,
      mostlyReal && at !== fuzzedOne % names.length ? { real: realPicks[at] } : values[at],
    ]);
    return { kind: 'fields' as const, fields: [...fields, ...extras, ...(repeated ? [repeated] : [])] };
  });

const jsonBodyArb: fc.Arbitrary<JsonBody> = fc.oneof(
  { weight: 6, arbitrary: fieldsArb },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }).map((text) => ({ kind: 'json' as const, text })) },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ kind: 'raw' as const, bytes })),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.constantFrom(
          '',
          ' ',
          '\ufeff{}',
          '{',
          '{"user":',
          '{"user":"a",}',
          "{'user':'a'}",
          'null',
          '[]',
          '[{}]',
          '""',
          '1',
          'user=a&token=b',
        ),
      )
      .map((text) => ({ kind: 'text' as const, text })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'oversized' as const }) },
);

function renderValue(world: World, name: string, value: FieldValue): string {
  if ('literal' in value) return value.literal;
  if ('json' in value) return JSON.stringify(value.json) ?? 'null';
  const options = realValues(world)[name] ?? [null];
  return JSON.stringify(options[value.real % options.length]);
}

function renderBody(world: World, body: JsonBody): Buffer {
  switch (body.kind) {
    case 'fields':
      return Buffer.from(
        `{${body.fields.map(([name, value]) => `${JSON.stringify(name)}:${renderValue(world, name, value)}`).join(',')}}`,
      );
    case 'json':
      return Buffer.from(body.text);
    case 'raw':
      return Buffer.from(body.bytes);
    case 'text':
      return Buffer.from(body.text);
    case 'oversized':
      return Buffer.from(
        JSON.stringify({ user: world.alice.userName, token: world.alice.token, pad: 'x'.repeat(70_000) }),
      );
  }
}

/** The `?cmd=` part: a command of the route, any command, junk, or forms that name none. */
type Query = { cmd: string } | { raw: string; cmd: null };

const queryArb: fc.Arbitrary<Query> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .constantFrom('count', 'normal', 'pvasc', 'pvdesc', 'share', 'del', 'pv', 'cancel', 'save', 'browse')
      .map((cmd) => ({ cmd })),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.string({ unit: 'binary', maxLength: 12 }),
        fc.constantFrom('', '__proto__', 'constructor', 'hasOwnProperty', 'toString', 'NORMAL', 'count '),
      )
      .map((cmd) => ({ cmd })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '',
        '?',
        '?cmd',
        '?cmd=normal&cmd=count',
        '?cmd[]=normal',
        '?CMD=normal',
        '?cmd=%zz',
        '?cmd=%00',
      )
      .map((raw) => ({ raw, cmd: null })),
  },
);

const contentTypeArb = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/octet-stream',
  'multipart/form-data',
  'application/x-www-form-urlencoded',
  'application/json; charset=latin1',
  'image/png',
);

/** The body as sent: plain, gzip-compressed and labelled so, or labelled with an encoding it does not have. */
const encodingArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant(undefined) },
  fc.constantFrom('gzip', 'gzip (not really)', 'identity', 'br (not really)', 'x-bogus'),
);

const transportArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null) },
  fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 6 }),
);

/** Anything: any route, any `cmd`, any body, any labelling. */
const wildRequestArb = fc.record({
  route: fc.constantFrom(...ROUTES),
  useGet: fc.boolean(),
  query: queryArb,
  body: jsonBodyArb,
  contentType: contentTypeArb,
  encoding: encodingArb,
  chunks: transportArb,
});

/** Mostly alice's own values (index 0), so that requests reach past the token check. */
const realPickArb = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.nat({ max: 2 }));

/**
 * What a client of the command sends: its documented fields with real values, except that one may
 * be fuzzed or left out, and an odd extra may come along.
 */
const plausibleRequestArb = fc
  .constantFrom(...ROUTES)
  .chain((route) => fc.tuple(fc.constant(route), fc.constantFrom(...Object.keys(route.commands))))
  .chain(([route, cmd]) => {
    const fields = route.commands[cmd].fields;
    return fc.record({
      route: fc.constant(route),
      useGet: fc.boolean(),
      query: fc.constant<Query>(cmd === '' ? { raw: '', cmd: null } : { cmd }),
      body: fc
        .record({
          picks: fc.array(realPickArb, { minLength: fields.length, maxLength: fields.length }),
          fuzzed: fc.option(fc.tuple(fc.nat(), fieldValueArb), { freq: 2, nil: undefined }),
          dropped: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, fc.nat()),
          extra: fc.oneof(
            { weight: 4, arbitrary: fc.constant(undefined) },
            fc.tuple(fc.constantFrom(...KNOWN_FIELDS), fieldValueArb),
          ),
        })
        .map(({ picks, fuzzed, dropped, extra }): JsonBody => {
          const entries = fields.map((name, at): [string, FieldValue] => [
            name,
            fuzzed !== undefined && fuzzed[0] % fields.length === at ? fuzzed[1] : { real: picks[at] },
          ]);
          if (dropped !== undefined) entries.splice(dropped % Math.max(entries.length, 1), 1);
          return { kind: 'fields', fields: extra ? [...entries, extra] : entries };
        }),
      contentType: fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/octet-stream'),
      encoding: fc.constant(undefined),
      chunks: transportArb,
    });
  });

const jsonRequestArb = fc.oneof(wildRequestArb, plausibleRequestArb);

type JsonRequest = typeof jsonRequestArb extends fc.Arbitrary<infer T> ? T : never;

/** The request as sent, and the command the server must treat it as. */
function buildJsonRequest(world: World, drawn: JsonRequest): { request: RawRequest; command: Command } {
  const { route, query } = drawn;
  const hasCommands = !Object.hasOwn(route.commands, '');
  const queryText = 'raw' in query ? query.raw : `?cmd=${encodeURIComponent(query.cmd)}`;
  let command: Command;
  if (!hasCommands) command = route.commands[''];
  else if (query.cmd !== null && Object.hasOwn(route.commands, query.cmd))
    command = route.commands[query.cmd];
  else command = UNKNOWN_COMMAND;
  let body = renderBody(world, drawn.body);
  const headers: Record<string, string> = {};
  if (drawn.contentType !== undefined) headers['content-type'] = drawn.contentType;
  if (drawn.encoding !== undefined) {
    headers['content-encoding'] = drawn.encoding.split(' ')[0];
    if (drawn.encoding === 'gzip') body = gzipSync(body);
  }
  const method = drawn.useGet && route.methods.includes('GET') ? 'GET' : 'POST';
  return {
    request: { method, path: `${route.path}${queryText}`, headers, body, chunks: drawn.chunks },
    command,
  };
}

// ---------------------------------------------------------------------------------------------------
// Arbitrary uploads, in both client formats, then mutated
// ---------------------------------------------------------------------------------------------------

const mutationsArb = mutationArb(['; ']);

/** Names the core must take as they are. */
const SAFE_NAMES = ['a.txt', 'photo.jpg', '文件.png', 'with space.bin', 'n'.repeat(100), 'noext'];

const filenameArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SAFE_NAMES) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '../x.txt',
      '..',
      '.',
      'a/b.txt',
      'a\\b.txt',
      'x\u0000y.txt',
      'bell\u0007.txt',
      'tab\t.txt',
      'n'.repeat(300),
      '文'.repeat(100),
      '',
      ' lead.txt',
      'trail.txt ',
      'quote".txt',
      'semi;colon.txt',
      'percent%22.txt',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }) },
);

/** Boundaries: the desktop client's ('0'..'y', so `:;<=>?@[\]^_\``), odd printable ASCII, or plain tokens. */
const uploadBoundaryArb = fc.oneof(
  fc
    .string({
      unit: fc.integer({ min: 0x30, max: 0x79 }).map((code) => String.fromCharCode(code)),
      minLength: 16,
      maxLength: 16,
    })
    .map((tail) => `------WebKitFormBoundary${tail}`),
  fc.constant('------WebKitFormBoundary:;<=>?@[\\]^_`0yz'),
  fc
    .string({ unit: fc.constantFrom(...'abcXYZ019-_.'), minLength: 1, maxLength: 40 })
    .map((tail) => `--${tail}`),
  fc
    .string({
      unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
      minLength: 1,
      maxLength: 60,
    })
    .map((tail) => `--${tail}`),
);

const contentBytesArb = (boundary: string) =>
  fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: fc.uint8Array({ maxLength: 1200 }).map((bytes) => Buffer.from(bytes)) },
        fc
          .constantFrom('\r\n', '--', boundary, `\r\n${boundary.slice(0, -1)}`, '\r\n\r\n', `${boundary}--`)
          .map((text) => Buffer.from(text, 'latin1')),
      ),
      { maxLength: 6 },
    )
    .map((pieces) => Buffer.concat(pieces));

type Declared = 'true' | 'upper' | 'other' | 'junk' | 'none' | 'off by one' | 'huge';
type Credentials = 'bearer' | 'bare header' | 'cookie' | 'in body' | 'none' | 'forged' | 'bob’s token';
type Claimed = 'alice' | 'ALICE' | 'bob' | 'none' | 'junk';

const ALL_CLAIMS: Claimed[] = ['alice', 'ALICE', 'bob', 'none', 'junk'];
const ALL_MD5S: Declared[] = ['true', 'upper', 'other', 'junk', 'none'];
const ALL_SIZES: Declared[] = ['true', 'off by one', 'junk', 'none', 'huge'];
const ALL_CREDENTIALS: Credentials[] = [
  'bearer',
  'bare header',
  'cookie',
  'in body',
  'none',
  'forged',
  'bob’s token',
];
const ALL_PARTS = [
  'as documented',
  'no file part',
  'two file parts',
  'file part named photo',
  'stray field',
] as const;
const ALL_TYPES = [
  'the right one',
  'none',
  'application/octet-stream',
  'text/plain',
  'multipart/form-data',
  'multipart/form-data; boundary=elsewhere',
] as const;

/**
 * An upload in one of the formats. `pristine` ones are what a client sends (right token, account, md5,
 * size and Content-Type; nothing mutated) and must mostly be stored; the others vary everything.
 */
const uploadArbFor = (pristine: boolean) =>
  uploadBoundaryArb.chain((boundary) =>
    fc.record({
      format: fc.constantFrom('A' as const, 'B' as const, 'B (as a browser encodes it)' as const),
      boundary: fc.constant(boundary),
      bytes: contentBytesArb(boundary),
      filename: filenameArb,
      claimed: fc.constantFrom<Claimed>(
        ...(pristine ? (['alice', 'ALICE', 'none'] as Claimed[]) : ALL_CLAIMS),
      ),
      md5: fc.constantFrom<Declared>(...(pristine ? (['true', 'upper'] as Declared[]) : ALL_MD5S)),
      size: fc.constantFrom<Declared>(...(pristine ? (['true'] as Declared[]) : ALL_SIZES)),
      credentials: fc.constantFrom<Credentials>(
        ...(pristine ? (['bearer', 'bare header', 'cookie', 'in body'] as Credentials[]) : ALL_CREDENTIALS),
      ),
      ending: fc.constantFrom('' as const, '--' as const, '\r\n' as const, '--\r\n' as const),
      separator: fc.constantFrom(' ' as const, '; ' as const),
      /** Format B: no file part, two of them, a file part under another name, a stray field. */
      parts: pristine
        ? fc.constantFrom('as documented' as const, 'stray field' as const)
        : fc.constantFrom(...ALL_PARTS),
      contentType: pristine
        ? fc.constant('the right one' as const)
        : fc.oneof(
            { weight: 5, arbitrary: fc.constant('the right one' as const) },
            fc.constantFrom(...ALL_TYPES),
          ),
      mutations: pristine ? fc.constant([] as Mutation[]) : fc.array(mutationsArb, { maxLength: 3 }),
    }),
  );

const uploadArb = fc.oneof(
  { weight: 1, arbitrary: uploadArbFor(true) },
  { weight: 2, arbitrary: uploadArbFor(false) },
);

type UploadCase = typeof uploadArb extends fc.Arbitrary<infer T> ? T : never;

function declaredMd5(drawn: UploadCase, bytes: Buffer): string | undefined {
  switch (drawn.md5) {
    case 'true':
    case 'off by one':
    case 'huge':
      return md5Of(bytes);
    case 'upper':
      return md5Of(bytes).toUpperCase();
    case 'other':
      return md5Of(Buffer.concat([bytes, Buffer.from('!')]));
    case 'junk':
      return 'not-an-md5';
    case 'none':
      return undefined;
  }
}

function declaredSize(drawn: UploadCase, bytes: Buffer): string | undefined {
  switch (drawn.size) {
    case 'true':
    case 'upper':
    case 'other':
      return String(bytes.length);
    case 'off by one':
      return String(bytes.length + 1);
    case 'huge':
      return String(2 ** 53);
    case 'junk':
      return 'twelve';
    case 'none':
      return undefined;
  }
}

function claimedUser(world: World, claimed: Claimed): string | undefined {
  switch (claimed) {
    case 'alice':
      return world.alice.userName;
    case 'ALICE':
      return world.alice.userName.toUpperCase();
    case 'bob':
      return world.bob.userName;
    case 'none':
      return undefined;
    case 'junk':
      return 'nobody at all';
  }
}

function credentialHeaders(world: World, credentials: Credentials): Record<string, string> {
  switch (credentials) {
    case 'bearer':
      return { authorization: `Bearer ${world.alice.token}` };
    case 'bare header':
      return { authorization: world.alice.token };
    case 'cookie':
      return { cookie: `userName=${world.alice.userName}; token=${world.alice.token}` };
    case 'forged':
      return { authorization: `Bearer ${md5('forged')}` };
    case 'bob’s token':
      return { authorization: `Bearer ${world.bob.token}` };
    case 'in body':
    case 'none':
      return {};
  }
}

/** A standard multipart form written by hand, so its boundary and its parts are the test's to choose. */
function handWrittenForm(
  boundary: string,
  parts: { name: string; filename?: string; value: Buffer }[],
): Buffer {
  return Buffer.concat([
    ...parts.map(({ name, filename, value }) =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"` +
            (filename === undefined
              ? ''
              : `; filename="${filename}"\r\nContent-Type: application/octet-stream`) +
            '\r\n\r\n',
          'utf8',
        ),
        value,
        Buffer.from('\r\n'),
      ]),
    ),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
}

interface BuiltUpload {
  request: RawRequest;
  /** A well-formed upload the core must store: valid token and account, true md5 and size, a plain name. */
  mustStore: boolean;
  /** Whose file it becomes if stored: the token's account. */
  owner: string;
}

async function buildUpload(world: World, drawn: UploadCase, chunks: number[] | null): Promise<BuiltUpload> {
  const bytes = drawn.bytes;
  const md5 = declaredMd5(drawn, bytes);
  const size = declaredSize(drawn, bytes);
  const user = claimedUser(world, drawn.claimed);
  const inBody = drawn.credentials === 'in body' ? world.alice.token : undefined;
  let body: Buffer;
  let rightType: string | undefined;
  let wellFormed = true;
  if (drawn.format === 'A') {
    body = desktopUploadBody(bytes, {
      boundary: drawn.boundary,
      ending: drawn.ending,
      separator: drawn.separator,
      parameters: { user, filename: drawn.filename, md5, size, token: inBody },
    });
    rightType = 'application/json';
    wellFormed = !`\r\n${bytes.toString('latin1')}`.includes(`\r\n${drawn.boundary}`);
  } else {
    const fields = { user, md5, size };
    const before: Record<string, string> = inBody === undefined ? {} : { token: inBody };
    if (drawn.format === 'B (as a browser encodes it)') {
      const encoded = await encodeForm(webUploadForm(drawn.filename, bytes, fields, before));
      body = encoded.body;
      rightType = encoded.contentType;
    } else {
      // The web format's boundary has no leading dashes of its own: they come with each delimiter.
      const boundary = drawn.boundary.replace(/^--/, '');
      const file = { name: 'file', filename: drawn.filename, value: bytes };
      const after = Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => ({ name, value: Buffer.from(value!) }));
      const head = Object.entries(before).map(([name, value]) => ({ name, value: Buffer.from(value) }));
      const parts = {
        'as documented': [...head, file, ...after],
        'no file part': [...head, ...after],
        'two file parts': [
          ...head,
          file,
          { ...file, filename: 'second.bin', value: Buffer.from('2nd') },
          ...after,
        ],
        'file part named photo': [...head, { ...file, name: 'photo' }, ...after],
        'stray field': [...head, { name: 'note', value: Buffer.from('hi') }, file, ...after],
      }[drawn.parts];
      wellFormed =
        drawn.parts === 'as documented' || drawn.parts === 'stray field' || drawn.parts === 'two file parts';
      body = handWrittenForm(boundary, parts);
      rightType = `multipart/form-data; boundary="${boundary.replace(/["\\]/g, '\\$&')}"`;
      wellFormed &&= !`\r\n${bytes.toString('latin1')}\r\n`.includes(`\r\n--${boundary}`);
      wellFormed &&= /^[0-9A-Za-z'()+_,\-./:=? ]{1,70}$/.test(boundary) && !boundary.endsWith(' ');
    }
  }
  body = drawn.mutations.reduce(mutate, body);
  const headers = credentialHeaders(world, drawn.credentials);
  const type = drawn.contentType === 'the right one' ? rightType : drawn.contentType;
  if (type !== undefined && type !== 'none') headers['content-type'] = type;
  const mustStore =
    wellFormed &&
    drawn.mutations.length === 0 &&
    drawn.contentType === 'the right one' &&
    SAFE_NAMES.includes(drawn.filename) &&
    ['bearer', 'bare header', 'cookie', 'in body'].includes(drawn.credentials) &&
    ['alice', 'ALICE', 'none'].includes(drawn.claimed) &&
    ['true', 'upper'].includes(drawn.md5) &&
    drawn.size === 'true';
  const owner = drawn.credentials === 'bob’s token' ? world.bobId : world.aliceId;
  return { request: { method: 'POST', path: '/api/upload', headers, body, chunks }, mustStore, owner };
}

interface StoredFile {
  id: string;
  owner_id: string;
  name: string;
  md5: string;
  size: number;
  storage_key: string;
}

const storedFiles = (app: TestApp) =>
  app.dataSource.query<StoredFile[]>(
    `SELECT n.id, n.owner_id, n.name, b.md5, b.size::int AS size, b.storage_key
       FROM nodes n JOIN blobs b ON b.id = n.blob_id`,
  );

/** The name as sent, before the core added ` (n)` to avoid a clash. */
const sentName = (name: string) => name.replace(/ \(\d+\)(?=\.[^.]*$|$)/, '');

/** Code 0: the new file (or the one the user already had) is exactly bytes that were in the body, as declared there. */
async function expectStoredAsDeclared(
  app: TestApp,
  owner: string,
  before: StoredFile[],
  request: RawRequest,
  answer: RawAnswer,
): Promise<void> {
  const after = await storedFiles(app);
  const known = new Set(before.map((file) => file.id));
  const added = after.filter((file) => !known.has(file.id));
  const gone = before.filter((file) => !after.some((other) => other.id === file.id));
  if (gone.length) broken('an upload removed files', request, answer);
  if (added.length > 1) broken(`one upload added ${added.length} files`, request, answer);
  const text = request.body.toString('latin1').toLowerCase();
  const utf8 = request.body.toString('utf8');
  const declared = (file: StoredFile) =>
    file.owner_id === owner &&
    text.includes(file.md5) &&
    sentName(file.name)
      .split('\ufffd')
      .every((piece) => utf8.includes(piece));
  if (!added.length) {
    // Code 0 without a new row: the user already had this (md5, name).
    if (!after.some(declared)) broken('code 0, yet no file with the declared md5 and name', request, answer);
    return;
  }
  const [file] = added;
  if (!declared(file))
    broken(`the stored file ${JSON.stringify(file)} is not the declared one`, request, answer);
  const stored = await readFile(path.join(app.dataDir, 'blobs', file.storage_key));
  if (md5Of(stored) !== file.md5 || stored.length !== file.size) {
    broken(
      `the stored bytes (md5 ${md5Of(stored)}, ${stored.length} bytes) are not the recorded ones`,
      request,
      answer,
    );
  }
  if (!request.body.includes(stored)) broken('the stored bytes are not bytes of the body', request, answer);
}

// ---------------------------------------------------------------------------------------------------

describe('spec 001 image-host API under fuzzing', () => {
  let app: TestApp;
  let world: World;

  beforeAll(async () => {
    const zone = domain.create();
    zone.on('error', (error: unknown) =>
      unheard.push(error instanceof Error ? (error.stack ?? String(error)) : String(error)),
    );
    app = await zone.run(() => startTestApp());
    const [alice, bob] = await Promise.all([signUp(app), signUp(app)]);
    const idOf = async (user: TestUser) =>
      (
        await app.dataSource.query<{ id: string }[]>(
          `SELECT id FROM users WHERE lower(user_name) = lower($1)`,
          [user.userName],
        )
      )[0].id;
    world = { alice, bob, aliceId: await idOf(alice), bobId: await idOf(bob), pictureKey: '' };
    await ensureSeed(app, world);
  });
  afterAll(async () => {
    agent.destroy();
    await app.close();
  });

  it('answers every JSON request with HTTP 200 and a code spec 001 documents for its route', async () => {
    const codes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(jsonRequestArb, async (drawn) => {
        await ensureSeed(app, world);
        const { request, command } = buildJsonRequest(world, drawn);
        const code = expectDocumentedAnswer(request, await exchange(app, request), command);
        codes.set(
          `${request.path.split('?')[0]} ${code}`,
          (codes.get(`${request.path.split('?')[0]} ${code}`) ?? 0) + 1,
        );
      }),
      { numRuns: 400 },
    );
    // The fuzzing reached past the token check: some requests succeeded.
    expect([...codes.keys()].filter((key) => key.endsWith(' 0')).length).toBeGreaterThan(3);
  });

  it('keeps nothing for a JSON request it refuses', async () => {
    await fc.assert(
      fc.asyncProperty(jsonRequestArb, async (drawn) => {
        await ensureSeed(app, world);
        const { request, command } = buildJsonRequest(world, drawn);
        const before = await snapshot(app);
        const answer = await exchange(app, request);
        const code = expectDocumentedAnswer(request, answer, command);
        if (code !== 0) await expectNothingKept(app, before, request, answer);
        else await expectStoreConsistent(app, request, answer);
      }),
      { numRuns: 250 },
    );
  });

  const uploadCodes = new Map<string, number>();
  const uploadProperty = (transport: fc.Arbitrary<number[] | null>) =>
    fc.asyncProperty(uploadArb, transport, async (drawn, chunks) => {
      const { request, mustStore, owner } = await buildUpload(world, drawn, chunks);
      const before = await snapshot(app);
      const files = await storedFiles(app);
      const answer = await exchange(app, request);
      const code = expectDocumentedAnswer(request, answer, { codes: [0, 1, 4], success: 'code', fields: [] });
      uploadCodes.set(
        `${drawn.format} ${mustStore} ${code}`,
        (uploadCodes.get(`${drawn.format} ${mustStore} ${code}`) ?? 0) + 1,
      );
      if (code !== 0) {
        if (mustStore) broken(`a well-formed upload was refused with ${code}`, request, answer);
        await expectNothingKept(app, before, request, answer);
        return;
      }
      await expectStoreConsistent(app, request, answer);
      await expectStoredAsDeclared(app, owner, files, request, answer);
    });

  it('answers every upload, mutated or not, with 0, 1 or 4; keeps nothing it refuses; stores only what was declared', async () => {
    await fc.assert(uploadProperty(fc.constant(null)), { numRuns: 2000 });
  });

  it('does the same for uploads sent chunked in random pieces', async () => {
    const pieces = fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 });
    await fc.assert(uploadProperty(pieces), { numRuns: 80 });
  });

  it('still answers /healthz with 200 after all of it', async () => {
    const response = await fetch(`${app.url}/healthz`);
    expect(response.status).toBe(200);
  });
});
