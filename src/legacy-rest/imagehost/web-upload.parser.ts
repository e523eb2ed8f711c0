import busboy from 'busboy';
import type { Request } from 'express';
import { createHash } from 'node:crypto';
import { finished, pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { declaredSize, MalformedUploadError, type IncomingUpload } from './incoming-upload';

const MD5_HEX = /^[0-9a-fA-F]{32}$/;
const MAX_FIELD_BYTES = 4096;

type Fields = Partial<Record<string, string>>;

/**
 * Hashes and counts the file's bytes, and holds back their end until the fields that follow them
 * (`user`, `md5`, `size`) have arrived and agree with them: until then nothing downstream can keep
 * the file.
 */
class TrailingFieldsCheck extends Transform {
  private readonly md5 = createHash('md5');
  private size = 0;
  namedAnotherUser = false;

  constructor(
    private readonly fields: Promise<Fields>,
    private readonly userName: string,
  ) {
    super({ highWaterMark: 1 << 20 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.md5.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.fields.then((fields) => done(this.disagreement(fields)), done);
  }

  private disagreement({ user, md5, size }: Fields): Error | null {
    if (user !== undefined && user.toLowerCase() !== this.userName.toLowerCase()) {
      this.namedAnotherUser = true;
      return new MalformedUploadError('The upload names another account than the token’s');
    }
    const bytes = declaredSize(size);
    if (md5 === undefined || !MD5_HEX.test(md5) || bytes === null) {
      return new MalformedUploadError('md5 and a decimal size are required');
    }
    if (md5.toLowerCase() !== this.md5.digest('hex') || bytes !== this.size) {
      return new MalformedUploadError('The bytes do not match the declared md5 or size');
    }
    return null;
  }
}

/**
 * Reads a standard multipart upload (LEGACY-NOTES.md, format B: parts `file`, `user`, `md5`, `size`)
 * up to the start of the file. Fields sent before the file count at once; those after it are
 * checked as the file ends. A token must come before the file, as it is needed to start storing it.
 */
export function readWebUpload(request: Request): Promise<IncomingUpload> {
  return new Promise((resolve, reject) => {
    const parser = busboy({
      headers: request.headers,
      // Names reach the core as sent, so `../x` is refused rather than quietly shortened to `x`.
      preservePath: true,
      defParamCharset: 'utf8',
      limits: { files: 1, fields: 8, parts: 9, fieldSize: MAX_FIELD_BYTES },
    });
    const fields: Fields = {};
    const complete = new Promise<Fields>((resolveFields, rejectFields) => {
      parser.on('close', () => resolveFields(fields));
      parser.on('error', rejectFields);
    });
    // Read only by a file's check; a form that fails before its file is reported by `reject`.
    complete.catch(() => undefined);
    let file: Readable | null = null;

    parser.on('field', (name, value) => {
      fields[name] ??= value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || file || info.filename === undefined) {
        // A part we skip fails too when the body is cut inside it: unheard, that would end the process.
        stream.on('error', () => undefined);
        stream.resume();
        return;
      }
      file = stream;
      // The body may fail (cut inside the file) while the token is still being checked, before
      // `content` pipes the file anywhere: unheard, that error would bring the process down. The
      // stream keeps it, and the pipeline reports it once attached.
      stream.on('error', () => undefined);
      const filename = info.filename;
      let check: TrailingFieldsCheck | null = null;
      resolve({
        filename,
        token: fields.token,
        user: fields.user,
        content(userName) {
          check = new TrailingFieldsCheck(complete, userName);
          return pipeline(stream, check, () => undefined);
        },
        get namedAnotherUser() {
          return check?.namedAnotherUser ?? false;
        },
      });
    });
    parser.on('error', (error) => reject(error as Error));
    parser.on('close', () => reject(new MalformedUploadError('The form has no file part')));
    // A client that goes away mid-upload fails the file, so nothing of it is kept.
    finished(request, (error) => {
      if (error) parser.destroy(error);
    });
    request.pipe(parser);
  });
}
