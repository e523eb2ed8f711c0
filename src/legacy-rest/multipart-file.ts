import busboy, { type Limits } from 'busboy';
import type { Request } from 'express';
import { finished, PassThrough, type Readable } from 'node:stream';
import { MalformedUploadError } from './upload-value';

export type FormFields = Partial<Record<string, string>>;

/** The file of a multipart form, reached before its bytes. */
export interface FilePart {
  filename: string;
  /** The fields sent before the file, which a door may need to start storing it (a token). */
  fieldsBefore: FormFields;
  /** The file's bytes. A failure of the body stays on the stream until someone reads it. */
  stream: Readable;
  /** Every field, once the whole form has been read; rejects if the form fails. Never unhandled. */
  complete: Promise<FormFields>;
}

/**
 * Reads a `multipart/form-data` request up to its first file part (of `fileField`, when named), and
 * resolves there, with the bytes still to come. Fails for a malformed form or one with no file. Every
 * other file part is read and dropped. A client that goes away fails the file, so nothing is kept.
 */
export function readFilePart(
  request: Request,
  options: {
    fileField?: string;
    limits: Limits;
    /**
     * The form must be whole and carry no second file part of `fileField`: the file's stream ends
     * only once the whole form has been read, and fails otherwise, so that nothing of a bad form is
     * kept (limits.files must leave room to see a second part).
     */
    soleFile?: boolean;
  },
): Promise<FilePart> {
  return new Promise((resolve, reject) => {
    const parser = busboy({
      headers: request.headers,
      // Names reach the core as sent, so `../x` is refused rather than quietly shortened to `x`.
      preservePath: true,
      defParamCharset: 'utf8',
      limits: options.limits,
    });
    const fields: FormFields = {};
    const complete = new Promise<FormFields>((resolveFields, rejectFields) => {
      parser.on('close', () => resolveFields(fields));
      parser.on('error', rejectFields);
    });
    // Read only by whoever checks trailing fields; a form that fails before its file rejects below.
    complete.catch(() => undefined);
    let kept: Readable | null = null;
    let secondFile = false;

    parser.on('field', (name, value) => {
      fields[name] ??= value;
    });
    parser.on('file', (name, stream, info) => {
      // Every part's stream fails when the body is cut inside it: unheard, that would end the
      // process. The kept file's stream keeps its error for the pipeline that reads it.
      stream.on('error', () => undefined);
      if (kept !== null && name === options.fileField) secondFile = true;
      if (
        kept !== null ||
        (options.fileField !== undefined && name !== options.fileField) ||
        info.filename === undefined
      ) {
        stream.resume();
        return;
      }
      kept = stream;
      const file = options.soleFile ? heldUntil(complete, stream, () => secondFile) : stream;
      resolve({ filename: info.filename, fieldsBefore: { ...fields }, stream: file, complete });
    });
    parser.on('error', (error: unknown) => {
      const failure =
        error instanceof Error ? error : new MalformedUploadError('The form could not be parsed');
      // A pipe stops feeding a destination that failed, so busboy never ends the kept file's
      // stream itself: fail it here, and drain the rest of the body so the answer can be sent.
      kept?.destroy(failure);
      request.unpipe(parser);
      request.resume();
      reject(failure);
    });
    parser.on('close', () => reject(new MalformedUploadError('The form has no file part')));
    finished(request, (error) => {
      if (error) parser.destroy(error);
      else failIfStalled(parser, () => kept);
    });
    request.pipe(parser);
  });
}

/** `file` as a stream that ends only once `form` has been read whole, with no second file in it. */
function heldUntil(form: Promise<FormFields>, file: Readable, hadSecondFile: () => boolean): Readable {
  const held = new PassThrough({ highWaterMark: 1 << 16 });
  file.on('error', (error) => held.destroy(error));
  file.pipe(held, { end: false });
  file.once('end', () => {
    form.then(
      () =>
        hadSecondFile()
          ? held.destroy(new MalformedUploadError('The form has more than one file part'))
          : held.end(),
      (error: unknown) =>
        held.destroy(error instanceof Error ? error : new MalformedUploadError('The form is malformed')),
    );
  });
  return held;
}

const STALL_CHECK_MS = 50;

/**
 * busboy 1.6 loses its write callback on some malformed part headers and then waits forever with
 * the whole body in hand. Once the body has been read, a parser that has not closed while the
 * kept file holds no unread bytes (so nothing downstream is holding it back) is stuck: fail it.
 */
function failIfStalled(parser: busboy.Busboy, keptFile: () => Readable | null): void {
  if (parser.closed) return;
  let idleChecks = 0;
  const timer = setInterval(() => {
    const waitingForReader = (keptFile()?.readableLength ?? 0) > 0;
    idleChecks = waitingForReader ? 0 : idleChecks + 1;
    if (idleChecks >= 2) parser.destroy(new MalformedUploadError('The form could not be parsed'));
  }, STALL_CHECK_MS).unref();
  parser.once('close', () => clearInterval(timer));
}
