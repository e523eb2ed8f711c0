import type { Request } from 'express';
import { createHash } from 'node:crypto';
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { readFilePart, type FormFields } from '../multipart-file';
import { declaredSize, MalformedUploadError, type IncomingUpload } from './incoming-upload';

const MD5_HEX = /^[0-9a-fA-F]{32}$/;
const MAX_FIELD_BYTES = 4096;

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
    private readonly fields: Promise<FormFields>,
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

  private disagreement({ user, md5, size }: FormFields): Error | null {
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
export async function readWebUpload(request: Request): Promise<IncomingUpload> {
  const part = await readFilePart(request, {
    fileField: 'file',
    limits: { files: 1, fields: 8, parts: 9, fieldSize: MAX_FIELD_BYTES },
  });
  let check: TrailingFieldsCheck | null = null;
  return {
    filename: part.filename,
    token: part.fieldsBefore.token,
    user: part.fieldsBefore.user,
    content(userName) {
      check = new TrailingFieldsCheck(part.complete, userName);
      return pipeline(part.stream, check, () => undefined);
    },
    get namedAnotherUser() {
      return check?.namedAnotherUser ?? false;
    },
  };
}
