import type { Request } from 'express';
import { finished, Transform, type TransformCallback } from 'node:stream';
import { declaredSize, MalformedUploadError, type IncomingUpload } from './incoming-upload';

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
/** Room for the boundary, both header lines and a long file name. */
const MAX_HEAD_BYTES = 64 * 1024;
const BOUNDARY = /^--[\x21-\x7e]{1,198}$/;
/** After the closing boundary: nothing, `--`, a CRLF, or both (LEGACY-NOTES.md, format A). */
const EPILOGUE = /^(?:--)?(?:\r\n)?$/;
const MAX_EPILOGUE_BYTES = 4;
const PARAMETER = /([A-Za-z][\w.-]*)=(?:"([^"]*)"|([^\s";]*))/y;
const SEPARATORS = /[\s;]*/y;

type Parameters = Map<string, string>;

/**
 * `user="u" filename="f" md5="…" size=n`, separated by spaces or `; `, after `form-data`. Throws
 * on anything else, a repeated parameter included.
 */
function parseDisposition(value: string): Parameters {
  const parameters: Parameters = new Map();
  const rest = value.replace(/^\s*form-data\s*;?/i, '');
  let position = 0;
  for (;;) {
    SEPARATORS.lastIndex = position;
    SEPARATORS.exec(rest);
    position = SEPARATORS.lastIndex;
    if (position >= rest.length) return parameters;
    PARAMETER.lastIndex = position;
    const match = PARAMETER.exec(rest);
    if (!match) throw new MalformedUploadError('Malformed Content-Disposition parameters');
    const name = match[1].toLowerCase();
    if (parameters.has(name)) throw new MalformedUploadError(`Repeated parameter ${name}`);
    parameters.set(name, match[2] ?? match[3]);
    position = PARAMETER.lastIndex;
  }
}

interface DesktopHead {
  boundary: Buffer;
  parameters: Parameters;
}

function parseHead(head: Buffer): DesktopHead {
  const [boundary, ...headers] = head.toString('utf8').split('\r\n');
  if (!BOUNDARY.test(boundary)) throw new MalformedUploadError('The body does not start with a boundary');
  const disposition = headers.find((line) => /^content-disposition\s*:/i.test(line));
  if (!disposition) throw new MalformedUploadError('No Content-Disposition header');
  return {
    boundary: Buffer.from(boundary, 'latin1'),
    parameters: parseDisposition(disposition.slice(disposition.indexOf(':') + 1)),
  };
}

/**
 * The desktop client's body (LEGACY-NOTES.md, format A): one part whose boundary appears only in the
 * body. Writes are the raw request; reads are the file's bytes, streamed as they arrive while the
 * closing `\r\n<boundary>` is looked for, holding back only as many bytes as it is long.
 */
export class DesktopUploadBody extends Transform {
  readonly head: Promise<DesktopHead>;
  private settleHead!: { resolve(head: DesktopHead): void; reject(error: Error): void };
  private stage: 'head' | 'content' | 'epilogue' = 'head';
  private pending: Buffer = Buffer.alloc(0);
  private closing: Buffer = Buffer.alloc(0);

  constructor() {
    super({ highWaterMark: 1 << 20 });
    this.head = new Promise((resolve, reject) => {
      this.settleHead = { resolve, reject };
    });
    // Also the listener that keeps a failure before anyone reads the bytes from being unhandled.
    this.on('error', (error) => this.settleHead.reject(error));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.absorb(chunk);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (this.stage === 'head') done(new MalformedUploadError('The body ended inside the part headers'));
    else if (this.stage === 'content') done(new MalformedUploadError('The closing boundary never came'));
    else if (!EPILOGUE.test(this.pending.toString('latin1')))
      done(new MalformedUploadError('Unexpected bytes after the closing boundary'));
    else done();
  }

  private absorb(chunk: Buffer): void {
    if (this.stage === 'content') {
      this.absorbContent(chunk);
      return;
    }
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    if (this.stage === 'epilogue') {
      if (data.length > MAX_EPILOGUE_BYTES)
        throw new MalformedUploadError('Unexpected bytes after the closing boundary');
      this.pending = Buffer.from(data);
      return;
    }
    const end = data.indexOf(HEAD_END);
    // Without its end yet, the held bytes may close with the first bytes of `\r\n\r\n`: those are
    // not part of the head, so a head exactly at the limit is judged alike however it is cut.
    if ((end < 0 ? data.length - (HEAD_END.length - 1) : end) > MAX_HEAD_BYTES) {
      throw new MalformedUploadError('The part headers are too long');
    }
    if (end < 0) {
      this.pending = data;
      return;
    }
    const head = parseHead(data.subarray(0, end));
    this.closing = Buffer.concat([CRLF, head.boundary]);
    this.stage = 'content';
    this.pending = Buffer.alloc(0);
    this.settleHead.resolve(head);
    this.absorb(data.subarray(end + HEAD_END.length));
  }

  /**
   * Passes the file's bytes on until the closing boundary, holding back only the last few bytes of
   * each chunk (a boundary may straddle two chunks). The held bytes are searched together with the
   * start of the next chunk, so a chunk itself is never copied.
   */
  private absorbContent(chunk: Buffer): void {
    const window = this.closing.length - 1;
    if (this.pending.length) {
      const seam = Buffer.concat([this.pending, chunk.subarray(0, window)]);
      const at = seam.indexOf(this.closing);
      if (at >= 0) {
        if (at > 0) this.push(seam.subarray(0, at));
        this.endContent(chunk.subarray(at + this.closing.length - this.pending.length));
        return;
      }
      if (chunk.length < window) {
        this.hold(seam);
        return;
      }
      // No boundary begins in the held bytes: any that begins later lies wholly in the chunk.
      this.push(this.pending);
      this.pending = Buffer.alloc(0);
    }
    const at = chunk.indexOf(this.closing);
    if (at >= 0) {
      if (at > 0) this.push(chunk.subarray(0, at));
      this.endContent(chunk.subarray(at + this.closing.length));
      return;
    }
    this.hold(chunk);
  }

  /** Passes on all of `data` but its last bytes, which might begin the closing boundary. */
  private hold(data: Buffer): void {
    const held = Math.min(data.length, this.closing.length - 1);
    if (data.length > held) this.push(data.subarray(0, data.length - held));
    this.pending = Buffer.from(data.subarray(data.length - held));
  }

  private endContent(after: Buffer): void {
    this.stage = 'epilogue';
    this.pending = Buffer.alloc(0);
    this.absorb(after);
  }
}

/** Reads the head of a format-A upload; its bytes follow as the returned upload's content. */
export async function readDesktopUpload(request: Request): Promise<IncomingUpload> {
  const body = new DesktopUploadBody();
  // A client that goes away mid-upload fails the bytes, so nothing of them is kept.
  finished(request, (error) => {
    if (error) body.destroy(error);
  });
  request.pipe(body);
  const { parameters } = await body.head;
  const filename = parameters.get('filename');
  const md5 = parameters.get('md5');
  const size = declaredSize(parameters.get('size'));
  if (filename === undefined || md5 === undefined || size === null) {
    throw new MalformedUploadError('filename, md5 and a decimal size are required');
  }
  return {
    filename,
    token: parameters.get('token'),
    user: parameters.get('user'),
    md5,
    size,
    content: () => body,
    namedAnotherUser: false,
  };
}
