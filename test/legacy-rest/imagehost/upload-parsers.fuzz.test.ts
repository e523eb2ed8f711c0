import type { Request } from 'express';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import domain from 'node:domain';
import { PassThrough, type Readable } from 'node:stream';
import { mutate, mutationArb } from '../../helpers/body-mutations';
import { DesktopUploadBody } from '../../../src/legacy-rest/imagehost/desktop-upload.parser';
import {
  MalformedUploadError,
  type IncomingUpload,
} from '../../../src/legacy-rest/imagehost/incoming-upload';
import { readWebUpload } from '../../../src/legacy-rest/imagehost/web-upload.parser';

// What LEGACY-NOTES.md (format A) and desktop-upload.parser.ts allow: the framing the model below checks.
const HEAD_LIMIT = 64 * 1024;
const BOUNDARY_LINE = /^--[\x21-\x7e]{1,198}$/;
const EPILOGUE = /^(?:--)?(?:\r\n)?$/;
const ENDINGS = ['', '--', '\r\n', '--\r\n'] as const;

const CRLF = Buffer.from('\r\n');
const md5Hex = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

class Hang extends Error {}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Hang(`${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `work` where an 'error' event no listener hears is collected instead of thrown: an emitter
 * created inside a domain hands such an error to the domain.
 */
async function collectingUnheard<T>(work: () => Promise<T>): Promise<{ result: T; unheard: string[] }> {
  const unheard: string[] = [];
  const zone = domain.create();
  zone.on('error', (error: unknown) => unheard.push(String(error)));
  const result = await zone.run(work);
  // An unheard error is emitted on a later tick than the failure that caused it.
  await new Promise((resolve) => setImmediate(resolve));
  zone.exit();
  return { result, unheard };
}

// ---------------------------------------------------------------------------------------------------
// Splitting a body into the chunks a socket might deliver
// ---------------------------------------------------------------------------------------------------

type Chunking =
  | { kind: 'points'; points: number[] }
  | { kind: 'fixed'; size: number }
  /** Cuts around `anchor` (the closing boundary, the end of the head), where a seam matters most. */
  | { kind: 'near'; offsets: number[] };

const chunkingArb: fc.Arbitrary<Chunking> = fc.oneof(
  fc.record({ kind: fc.constant('points' as const), points: fc.array(fc.nat(), { maxLength: 30 }) }),
  fc.record({ kind: fc.constant('fixed' as const), size: fc.integer({ min: 1, max: 80 }) }),
  fc.record({
    kind: fc.constant('near' as const),
    offsets: fc.array(fc.integer({ min: -90, max: 90 }), { minLength: 1, maxLength: 10 }),
  }),
);

function cut(body: Buffer, chunking: Chunking, anchors: number[]): Buffer[] {
  let points: number[];
  switch (chunking.kind) {
    case 'points':
      points = chunking.points.map((point) => point % (body.length + 1));
      break;
    case 'fixed':
      points = [];
      for (let at = chunking.size; at < body.length; at += chunking.size) points.push(at);
      break;
    case 'near':
      points = anchors.flatMap((anchor) => chunking.offsets.map((offset) => anchor + offset));
      break;
  }
  const sorted = [...new Set(points.filter((point) => point > 0 && point < body.length))].sort(
    (a, b) => a - b,
  );
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...sorted, body.length]) {
    chunks.push(body.subarray(start, point));
    start = point;
  }
  return chunks.filter((chunk) => chunk.length > 0);
}

// ---------------------------------------------------------------------------------------------------
// Mutations of a well-formed body
// ---------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------
// Format A: the desktop client's body
// ---------------------------------------------------------------------------------------------------

interface DesktopBody {
  boundary: string;
  /** Header lines of the part, the Content-Disposition one among them. */
  headers: string[];
  /** The parameters as written, names as they appear. */
  parameters: [name: string, value: string][];
  content: Buffer;
  ending: (typeof ENDINGS)[number];
}

function desktopBytes(body: DesktopBody): Buffer {
  return Buffer.concat([
    Buffer.from(`${body.boundary}\r\n${body.headers.join('\r\n')}\r\n\r\n`, 'utf8'),
    body.content,
    Buffer.from(`\r\n${body.boundary}${body.ending}`, 'latin1'),
  ]);
}

const boundaryChars = (from: number, to: number) =>
  fc.string({
    unit: fc.integer({ min: from, max: to }).map((code) => String.fromCharCode(code)),
    minLength: 1,
    maxLength: 40,
  });

/** The desktop client's own (`------WebKitFormBoundary` + '0'..'y'), or any 1–198 printable ASCII. */
const desktopBoundaryArb = fc.oneof(
  fc
    .string({
      unit: fc.integer({ min: 0x30, max: 0x79 }).map((code) => String.fromCharCode(code)),
      minLength: 16,
      maxLength: 16,
    })
    .map((tail) => `------WebKitFormBoundary${tail}`),
  boundaryChars(0x21, 0x7e).map((tail) => `--${tail}`),
  fc.constant('------WebKitFormBoundarynHRBTfOUv<p3Tewg'),
  fc.constant(`--${'x'.repeat(198)}`),
);

/**
 * Content that keeps coming close to the closing boundary without ever holding it. In a standard
 * form the CRLF ending the part's headers also begins a delimiter, so there the content may not begin
 * with the bare boundary either (`afterCrlf`).
 */
function contentArb(boundary: string, afterCrlf = false): fc.Arbitrary<Buffer> {
  const near = [
    '\r\n',
    '\r',
    '\n',
    '--',
    boundary,
    `\r\n${boundary.slice(0, -1)}`,
    `\r${boundary}`,
    `\n${boundary}`,
    `\r\n-${boundary.slice(1)}`,
    `\r\n\r\n`,
  ];
  const piece = fc.oneof(
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
    fc.constantFrom(...near).map((text) => Buffer.from(text, 'latin1')),
    fc
      .integer({ min: 1, max: boundary.length + 2 })
      .map((length) => Buffer.from(`\r\n${boundary}`.slice(0, length), 'latin1')),
  );
  const closing = Buffer.from(`\r\n${boundary}`, 'latin1');
  const lead = afterCrlf ? CRLF : Buffer.alloc(0);
  return fc
    .array(piece, { maxLength: 12 })
    .map((pieces) => Buffer.concat(pieces))
    .filter(
      (content) => Buffer.concat([lead, content, closing]).indexOf(closing) === lead.length + content.length,
    );
}

/** Any text a quoted parameter may hold: no `"` and no line break; unicode, NUL, controls all allowed. */
const quotedValueArb = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'binary-ascii', maxLength: 40 }),
    fc.constantFrom('', '../x.txt', 'a/b', 'x\u0000.txt', '..', ' spaced ', '文件.png'),
  )
  .map((value) => value.replace(/["\r\n]/g, '_'));
const bareValueArb = fc
  .string({ unit: 'binary-ascii', maxLength: 20 })
  .map((value) => value.replace(/[\s";]/g, '_'));
const parameterNameArb = fc
  .tuple(
    fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCXYZ'),
    fc.string({ unit: fc.constantFrom(...'abcxyz09_.-'), maxLength: 10 }),
  )
  .map(([first, rest]) => first + rest);
const separatorArb = fc.oneof(
  fc.constantFrom(' ', '; ', ';', '\t', ' ; '),
  fc.string({ unit: fc.constantFrom(' ', ';', '\t'), minLength: 1, maxLength: 4 }),
);
const randomCase = (text: string) =>
  fc
    .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((upper) =>
      [...text].map((char, at) => (upper[at] ? char.toUpperCase() : char.toLowerCase())).join(''),
    );
const otherHeaderArb = fc.oneof(
  fc.constant('Content-Type: application/octet-stream'),
  fc
    .tuple(parameterNameArb, fc.string({ unit: 'binary-ascii', maxLength: 30 }))
    .filter(([name]) => !/^content-disposition$/i.test(name))
    .map(([name, value]) => `X-${name}: ${value.replace(/[\r\n]/g, ' ')}`),
);

const desktopBodyArb: fc.Arbitrary<DesktopBody> = desktopBoundaryArb.chain((boundary) =>
  fc
    .record({
      content: contentArb(boundary),
      ending: fc.constantFrom(...ENDINGS),
      names: fc.uniqueArray(
        fc.oneof(
          fc.constantFrom('user', 'filename', 'md5', 'size', 'token', 'Size', 'FILENAME'),
          parameterNameArb,
        ),
        { maxLength: 7, selector: (name) => name.toLowerCase() },
      ),
      quoted: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
      quotedValues: fc.array(quotedValueArb, { minLength: 7, maxLength: 7 }),
      bareValues: fc.array(bareValueArb, { minLength: 7, maxLength: 7 }),
      separators: fc.array(separatorArb, { minLength: 7, maxLength: 7 }),
      dispositionName: randomCase('content-disposition'),
      formData: randomCase('form-data'),
      before: fc.array(otherHeaderArb, { maxLength: 2 }),
      after: fc.array(otherHeaderArb, { maxLength: 2 }),
    })
    .map((drawn) => {
      const parameters = drawn.names.map((name, at): [string, string] => [
        name,
        drawn.quoted[at] ? drawn.quotedValues[at] : drawn.bareValues[at],
      ]);
      const written = parameters
        .map(
          ([name, value], at) => `${drawn.separators[at]}${name}=${drawn.quoted[at] ? `"${value}"` : value}`,
        )
        .join('');
      return {
        boundary,
        headers: [...drawn.before, `${drawn.dispositionName}: ${drawn.formData};${written}`, ...drawn.after],
        parameters,
        content: drawn.content,
        ending: drawn.ending,
      };
    }),
);

interface DesktopOutcome {
  bytes: Buffer;
  error: unknown;
  parameters: Map<string, string> | null;
  /** Errors emitted where nothing listened: in the server, each would be an uncaught exception. */
  unheard: string[];
}

/** Writes `chunks` as a request would (stopping once the parser failed) and reads everything it passes on. */
async function feedDesktop(chunks: Buffer[]): Promise<Omit<DesktopOutcome, 'unheard'>> {
  const parser = new DesktopUploadBody();
  const out: Buffer[] = [];
  parser.on('data', (piece: Buffer) => out.push(Buffer.from(piece)));
  const settled = new Promise<unknown>((resolve) => {
    parser.on('end', () => resolve(null));
    parser.on('error', resolve);
  });
  for (const chunk of chunks) {
    if (parser.destroyed) break;
    parser.write(chunk);
  }
  if (!parser.destroyed) parser.end();
  const error = await within(settled, 5000, 'the parser neither ended nor failed');
  const parameters = await parser.head.then(
    (head) => head.parameters,
    () => null,
  );
  return { bytes: Buffer.concat(out), error, parameters };
}

async function parseDesktop(chunks: Buffer[]): Promise<DesktopOutcome> {
  const { result, unheard } = await collectingUnheard(() => feedDesktop(chunks));
  return { ...result, unheard };
}

type Framing =
  | { kind: 'no head' }
  | { kind: 'head'; contentStart: number; closingAt: number; closingLength: number; epilogueOk: boolean };

/** Where format A puts the head, the file and the closing boundary of `body`, read as one whole buffer. */
function frame(body: Buffer): Framing {
  const end = body.indexOf('\r\n\r\n');
  if (end < 0 || end > HEAD_LIMIT) return { kind: 'no head' };
  const [boundary, ...headers] = body.subarray(0, end).toString('utf8').split('\r\n');
  if (!BOUNDARY_LINE.test(boundary) || !headers.some((line) => /^content-disposition\s*:/i.test(line))) {
    return { kind: 'no head' };
  }
  const closing = Buffer.from(`\r\n${boundary}`, 'latin1');
  const contentStart = end + 4;
  const closingAt = body.indexOf(closing, contentStart);
  const epilogue = closingAt < 0 ? null : body.subarray(closingAt + closing.length);
  return {
    kind: 'head',
    contentStart,
    closingAt,
    closingLength: closing.length,
    epilogueOk: epilogue !== null && epilogue.length <= 4 && EPILOGUE.test(epilogue.toString('latin1')),
  };
}

function anchorsOf(body: Buffer): number[] {
  const framing = frame(body);
  const headEnd = body.indexOf('\r\n\r\n');
  return framing.kind === 'head' && framing.closingAt >= 0
    ? [headEnd, framing.closingAt, framing.closingAt + framing.closingLength]
    : [Math.max(headEnd, 0), body.length];
}

/** The outcome a body must have, judged by the framing alone (the parameters' own syntax aside). */
function expectFramingRespected(body: Buffer, outcome: DesktopOutcome): void {
  const framing = frame(body);
  expect(outcome.unheard).toEqual([]);
  if (outcome.error !== null) {
    expect(outcome.error).toBeInstanceOf(MalformedUploadError);
    if (framing.kind === 'no head') {
      expect(outcome.bytes.length).toBe(0);
      return;
    }
    const end = framing.closingAt < 0 ? body.length : framing.closingAt;
    const passable = body.subarray(framing.contentStart, end);
    // What came out before the failure is the start of the file, never a byte of the boundary.
    expect(passable.subarray(0, outcome.bytes.length).equals(outcome.bytes)).toBe(true);
    expect(outcome.bytes.length).toBeLessThanOrEqual(passable.length);
    // With the framing intact, only the head's parameters can be at fault, before any byte came out.
    if (framing.closingAt >= 0 && framing.epilogueOk) expect(outcome.bytes.length).toBe(0);
    return;
  }
  expect(framing).toMatchObject({ kind: 'head', epilogueOk: true });
  if (framing.kind !== 'head') return;
  expect(outcome.bytes.equals(body.subarray(framing.contentStart, framing.closingAt))).toBe(true);
}

const describeOutcome = (outcome: DesktopOutcome) =>
  outcome.error === null
    ? `ended with ${outcome.bytes.length} bytes ${JSON.stringify(outcome.bytes.toString('latin1').slice(0, 80))}`
    : `failed: ${outcome.error instanceof Error ? `${outcome.error.name}: ${outcome.error.message}` : 'with a non-Error'}`;

/** Chunking may not change what a body is: the same bytes and head, or a failure either way. */
function expectSameOutcome(chunked: DesktopOutcome, whole: DesktopOutcome): void {
  const same =
    chunked.error === null
      ? whole.error === null &&
        chunked.bytes.equals(whole.bytes) &&
        JSON.stringify([...(chunked.parameters ?? [])]) === JSON.stringify([...(whole.parameters ?? [])])
      : whole.error !== null;
  if (!same) {
    throw new Error(
      `cut into chunks it ${describeOutcome(chunked)}; in one piece it ${describeOutcome(whole)}`,
    );
  }
}

describe('the desktop (format A) upload parser under fuzzing', () => {
  it('passes on exactly the file bytes and reads the head as written, however the body is cut', async () => {
    await fc.assert(
      fc.asyncProperty(desktopBodyArb, chunkingArb, async (drawn, chunking) => {
        const body = desktopBytes(drawn);
        const outcome = await parseDesktop(cut(body, chunking, anchorsOf(body)));
        expect(outcome.unheard).toEqual([]);
        expect(outcome.error).toBeNull();
        expect(outcome.bytes.equals(drawn.content)).toBe(true);
        expect(outcome.parameters).toEqual(
          new Map(drawn.parameters.map(([name, value]) => [name.toLowerCase(), value])),
        );
      }),
      { numRuns: 400 },
    );
  });

  it('passes on the bytes one at a time, through every seam of the closing boundary', async () => {
    await fc.assert(
      fc.asyncProperty(desktopBodyArb, async (drawn) => {
        const body = desktopBytes(drawn);
        const outcome = await parseDesktop(cut(body, { kind: 'fixed', size: 1 }, []));
        expect(outcome.error).toBeNull();
        expect(outcome.bytes.equals(drawn.content)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('answers a mutated or truncated body with its framing’s bytes or MalformedUploadError, chunked or whole', async () => {
    const mutated = desktopBodyArb.chain((drawn) =>
      fc.record({
        drawn: fc.constant(drawn),
        mutations: fc.array(mutationArb([drawn.boundary, `\r\n${drawn.boundary}`]), {
          minLength: 1,
          maxLength: 3,
        }),
        chunking: chunkingArb,
      }),
    );
    await fc.assert(
      fc.asyncProperty(mutated, async ({ drawn, mutations, chunking }) => {
        const body = mutations.reduce(mutate, desktopBytes(drawn));
        const whole = await parseDesktop([body]);
        expectFramingRespected(body, whole);
        const chunked = await parseDesktop(cut(body, chunking, anchorsOf(body)));
        expectFramingRespected(body, chunked);
        expectSameOutcome(chunked, whole);
      }),
      { numRuns: 600 },
    );
  });

  it('decides a head near the 64 KiB limit the same way however it is cut', async () => {
    const nearLimit = fc.record({
      headEnd: fc.integer({ min: HEAD_LIMIT - 4, max: HEAD_LIMIT + 4 }),
      chunking: fc.oneof(chunkingArb, {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('near' as const),
          offsets: fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 1, maxLength: 4 }),
        }),
      }),
    });
    await fc.assert(
      fc.asyncProperty(nearLimit, async ({ headEnd, chunking }) => {
        const boundary = '------WebKitFormBoundaryabcdefghijklmnop';
        const fixed = `${boundary}\r\nContent-Disposition: form-data; user="u" md5="${'0'.repeat(32)}" size=3 filename=""`;
        const padding = headEnd - Buffer.byteLength(fixed);
        const head = fixed.replace('filename=""', `filename="${'n'.repeat(padding)}"`);
        const body = Buffer.from(`${head}\r\n\r\nabc\r\n${boundary}`);
        expect(body.indexOf('\r\n\r\n')).toBe(headEnd);
        const whole = await parseDesktop([body]);
        expectFramingRespected(body, whole);
        const chunked = await parseDesktop(cut(body, chunking, [headEnd]));
        expectSameOutcome(chunked, whole);
      }),
      { numRuns: 60 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Format B: the web client's multipart form, through the busboy-based parser
// ---------------------------------------------------------------------------------------------------

/** Parts a mutated form may carry besides the four documented ones. */
const EXTRA_PARTS = [
  'skipped file',
  'file without filename',
  'second file',
  'junk field',
  'cut headers',
  'file cut in its headers',
  'part without headers',
] as const;
type ExtraPart = (typeof EXTRA_PARTS)[number];

interface WebForm {
  boundary: string;
  filename: string;
  content: Buffer;
  before: [string, string][];
  after: [string, string][];
  /** Extra parts, each placed before (true) or after (false) the file. */
  extras: [ExtraPart, boolean][];
}

function part(boundary: string, headers: string[], content: Buffer | null): Buffer {
  const head = Buffer.from(`--${boundary}\r\n${headers.join('\r\n')}\r\n`, 'utf8');
  return content === null ? head : Buffer.concat([head, CRLF, content, CRLF]);
}

function extraPart(boundary: string, extra: ExtraPart): Buffer {
  const octets = 'Content-Type: application/octet-stream';
  switch (extra) {
    case 'skipped file':
      return part(
        boundary,
        ['Content-Disposition: form-data; name="photo"; filename="p.bin"', octets],
        Buffer.from('photo bytes'),
      );
    case 'file without filename':
      return part(boundary, ['Content-Disposition: form-data; name="file"', octets], Buffer.from('nameless'));
    case 'second file':
      return part(
        boundary,
        ['Content-Disposition: form-data; name="file"; filename="again.bin"', octets],
        Buffer.from('again'),
      );
    case 'junk field':
      return part(boundary, ['Content-Disposition: form-data; name="note"'], Buffer.from('hello'));
    case 'cut headers':
      return part(boundary, ['Content-Disposition: form-data; name="half"'], null);
    case 'file cut in its headers':
      return part(boundary, ['Content-Disposition: form-data; name="file"; filename="cut.bin"'], null);
    case 'part without headers':
      return Buffer.from(`--${boundary}\r\n\r\n\r\nheaderless\r\n`);
  }
}

function webBytes(form: WebForm): Buffer {
  const field = ([name, value]: [string, string]) =>
    part(form.boundary, [`Content-Disposition: form-data; name="${name}"`], Buffer.from(value));
  const extras = (before: boolean) =>
    form.extras.filter(([, first]) => first === before).map(([extra]) => extraPart(form.boundary, extra));
  return Buffer.concat([
    ...form.before.map(field),
    ...extras(true),
    part(
      form.boundary,
      [
        `Content-Disposition: form-data; name="file"; filename="${form.filename}"`,
        'Content-Type: application/octet-stream',
      ],
      form.content,
    ),
    ...extras(false),
    ...form.after.map(field),
    Buffer.from(`--${form.boundary}--\r\n`),
  ]);
}

const webContentType = (boundary: string) => `multipart/form-data; boundary="${boundary}"`;

/** RFC 2046 boundary characters, the desktop client's odd ones among them where they are legal. */
const webBoundaryArb = fc.oneof(
  fc.string({
    unit: fc.constantFrom(...`0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?`),
    minLength: 1,
    maxLength: 70,
  }),
  fc.constant('----WebKitFormBoundary7MA4YWxkTrZu0gW'),
);
const printableArb = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 40 })
  .map((text) => text.replace(/[\p{Cc}"\\]/gu, '_'));
const USER = 'qingfu';

const webFormArb: fc.Arbitrary<WebForm> = webBoundaryArb.chain((boundary) =>
  fc
    .record({
      filename: printableArb,
      content: contentArb(`--${boundary}`, true),
      token: fc.option(fc.stringMatching(/^[0-9a-f]{32}$/), { nil: undefined }),
      userFirst: fc.boolean(),
      upperMd5: fc.boolean(),
      order: fc.constantFrom(
        ['user', 'md5', 'size'],
        ['size', 'md5', 'user'],
        ['md5', 'size'],
        ['md5', 'user', 'size'],
      ),
    })
    .map(({ filename, content, token, userFirst, upperMd5, order }): WebForm => {
      const digest = upperMd5 ? md5Hex(content).toUpperCase() : md5Hex(content);
      const values: Record<string, string> = { user: USER, md5: digest, size: String(content.length) };
      const before: [string, string][] = [];
      if (token !== undefined) before.push(['token', token]);
      if (userFirst) before.push(['user', USER]);
      const after = order.map((name): [string, string] => [name, values[name]]);
      return { boundary, filename, content, before, after, extras: [] };
    }),
);

interface WebOutcome {
  /** The parser refused the form before its file. */
  refused: unknown;
  upload: IncomingUpload | null;
  bytes: Buffer;
  /** null when the file's stream ended cleanly. */
  error: unknown;
  /** What never settled: the form's head or the file's stream. */
  hung: string | null;
  /** Errors emitted where nothing listened: in the server, each would be an uncaught exception. */
  unheard: string[];
}

/** A request as readWebUpload sees one: a readable body with the request's headers. */
function fakeRequest(contentType: string | undefined, chunks: Buffer[]): Request {
  const body = Object.assign(new PassThrough(), {
    headers: contentType === undefined ? {} : { 'content-type': contentType },
  });
  for (const chunk of chunks) body.write(chunk);
  body.end();
  return body as unknown as Request;
}

/** Parsing these small forms takes a few milliseconds; anything this slow never settles. */
const WEB_PATIENCE_MS = 300;

async function readWebForm(
  contentType: string | undefined,
  chunks: Buffer[],
  userName: string,
): Promise<Omit<WebOutcome, 'unheard'>> {
  const none = { upload: null, bytes: Buffer.alloc(0), error: null };
  let upload: IncomingUpload;
  try {
    upload = await within(
      readWebUpload(fakeRequest(contentType, chunks)),
      WEB_PATIENCE_MS,
      'the form’s head',
    );
  } catch (error) {
    if (error instanceof Hang) return { ...none, refused: null, hung: error.message };
    return { ...none, refused: error, hung: null };
  }
  const content: Readable = upload.content(userName);
  const out: Buffer[] = [];
  content.on('data', (piece: Buffer) => out.push(Buffer.from(piece)));
  const ended = new Promise<unknown>((resolve) => {
    content.on('end', () => resolve(null));
    content.on('error', resolve);
  });
  try {
    const error = await within(ended, WEB_PATIENCE_MS, 'the file’s stream');
    return { refused: null, upload, bytes: Buffer.concat(out), error, hung: null };
  } catch (error) {
    return { refused: null, upload, bytes: Buffer.concat(out), error: null, hung: (error as Hang).message };
  }
}

async function parseWeb(
  contentType: string | undefined,
  chunks: Buffer[],
  userName: string,
): Promise<WebOutcome> {
  const { result, unheard } = await collectingUnheard(() => readWebForm(contentType, chunks, userName));
  return { ...result, unheard };
}

describe('the web (format B) upload parser under fuzzing', () => {
  it('passes on exactly the file and reads the fields before it, however the form is cut', async () => {
    await fc.assert(
      fc.asyncProperty(webFormArb, chunkingArb, async (form, chunking) => {
        const body = webBytes(form);
        const fileAt = body.indexOf('filename=');
        const outcome = await parseWeb(webContentType(form.boundary), cut(body, chunking, [fileAt]), USER);
        expect(outcome.unheard).toEqual([]);
        expect(outcome.hung).toBeNull();
        expect(outcome.refused).toBeNull();
        expect(outcome.error).toBeNull();
        expect(outcome.bytes.equals(form.content)).toBe(true);
        const before = Object.fromEntries(form.before);
        expect(outcome.upload).toMatchObject({
          filename: form.filename,
          token: before.token,
          user: before.user,
          namedAnotherUser: false,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('fails the file with MalformedUploadError when its trailing md5, size or user disagree', async () => {
    const lie = fc.constantFrom('md5', 'size', 'user', 'no md5', 'no size', 'md5 not hex');
    await fc.assert(
      fc.asyncProperty(webFormArb, lie, chunkingArb, async (form, told, chunking) => {
        const after = new Map(form.after);
        after.set('user', USER);
        if (told === 'md5') after.set('md5', md5Hex(Buffer.concat([form.content, Buffer.from('x')])));
        if (told === 'size') after.set('size', String(form.content.length + 1));
        if (told === 'md5 not hex') after.set('md5', 'g'.repeat(32));
        if (told === 'no md5') after.delete('md5');
        if (told === 'no size') after.delete('size');
        const lying: WebForm = {
          ...form,
          before: form.before.filter(([name]) => name !== 'user'),
          after: [...after],
        };
        const userName = told === 'user' ? 'someone-else' : USER;
        const body = webBytes(lying);
        const outcome = await parseWeb(webContentType(form.boundary), cut(body, chunking, []), userName);
        expect(outcome.unheard).toEqual([]);
        expect(outcome.hung).toBeNull();
        expect(outcome.refused).toBeNull();
        expect(outcome.error).toBeInstanceOf(MalformedUploadError);
        expect(outcome.upload?.namedAnotherUser).toBe(told === 'user');
        expect(form.content.subarray(0, outcome.bytes.length).equals(outcome.bytes)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  /** Mutated forms; `extraParts` sets how many parts besides the documented ones each carries at least. */
  const mutatedFormArb = (extraParts: number) =>
    webFormArb.chain((form) =>
      fc.record({
        form: fc.constant(form),
        extras: fc.array(fc.tuple(fc.constantFrom(...EXTRA_PARTS), fc.boolean()), {
          minLength: extraParts,
          maxLength: extraParts + 2,
        }),
        mutations: fc.array(mutationArb([`--${form.boundary}`, `\r\n--${form.boundary}--`, 'name="file"']), {
          maxLength: 3,
        }),
        contentType: fc.oneof(
          { weight: 6, arbitrary: fc.constant(webContentType(form.boundary)) },
          fc.constantFrom(
            undefined,
            'multipart/form-data',
            'multipart/form-data; boundary=other',
            'text/plain',
          ),
        ),
        chunking: chunkingArb,
      }),
    );
  type MutatedForm = ReturnType<typeof mutatedFormArb> extends fc.Arbitrary<infer T> ? T : never;
  const parseMutated = async ({ form, extras, mutations, contentType, chunking }: MutatedForm) => {
    const body = mutations.reduce(mutate, webBytes({ ...form, extras }));
    return { body, outcome: await parseWeb(contentType, cut(body, chunking, []), USER) };
  };

  it('answers a mutated form with an Error, or with bytes from the body that its own fields declare', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedFormArb(0), async (drawn) => {
        const { body, outcome } = await parseMutated(drawn);
        if (outcome.refused !== null) {
          expect(outcome.refused).toBeInstanceOf(Error);
          return;
        }
        // A failure keeps nothing, so what busboy handed over before it (even a misparse) does not matter.
        if (outcome.error !== null) {
          expect(outcome.error).toBeInstanceOf(Error);
          return;
        }
        expect(body.includes(outcome.bytes)).toBe(true);
        if (outcome.hung !== null) return;
        // Ended cleanly: the form itself declared these bytes' md5 and size.
        const text = body.toString('latin1').toLowerCase();
        expect(text).toContain(md5Hex(outcome.bytes));
        expect(text).toMatch(new RegExp(`\r\n\r\n0*${outcome.bytes.length}\r\n`));
      }),
      { numRuns: 500 },
    );
  }, 120_000);

  it('never raises an error nobody listens to (an uncaught exception in the server) for a mutated form', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedFormArb(1), async (drawn) => {
        const { outcome } = await parseMutated(drawn);
        expect(outcome.unheard).toEqual([]);
      }),
      { numRuns: 500 },
    );
  }, 120_000);

  it('always settles a mutated form: the head resolves or fails, and so does the file’s stream', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedFormArb(1), async (drawn) => {
        const { outcome } = await parseMutated(drawn);
        expect(outcome.hung).toBeNull();
      }),
      { numRuns: 1000 },
    );
  }, 120_000);
});
