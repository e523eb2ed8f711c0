import busboy from 'busboy';
import express, { type Request, type RequestHandler } from 'express';

const LIMIT = '64kb';
const MAX_FIELDS = 32;
const FORM = /^\s*(multipart\/form-data|application\/x-www-form-urlencoded)/i;

/** A body of form fields (`multipart/form-data` without files), as spec 003 lets `storage` send. */
const multipartFields: RequestHandler = (request, _response, next) => {
  if (!request.is('multipart/form-data')) {
    next();
    return;
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: request.headers,
      limits: { fields: MAX_FIELDS, files: 0, fieldSize: 64 * 1024 },
    });
  } catch (error) {
    next(Object.assign(error as Error, { status: 400 }));
    return;
  }
  const fields: Record<string, string> = {};
  let answered = false;
  // busboy may close after an error: the request goes on once, either way.
  const proceed = (error?: unknown) => {
    if (answered) return;
    answered = true;
    if (error === undefined) {
      request.body = fields;
      next();
      return;
    }
    const failure = error instanceof Error ? error : new Error('The form could not be read');
    next(Object.assign(failure, { status: 400 }));
  };
  parser.on('field', (name, value) => {
    fields[name] ??= value;
  });
  parser.on('file', (_name, stream) => {
    stream.on('error', () => undefined);
    stream.resume();
  });
  parser.on('error', (error: unknown) => {
    request.unpipe(parser);
    request.resume();
    proceed(error);
  });
  parser.on('close', () => proceed());
  request.pipe(parser);
};

/**
 * The parameters of a Netdisk request, wherever the client put them: a JSON body (spec 003's POSTs),
 * form fields (`storage` and `renameFile` take form data), or the query string (its GETs).
 */
export const netdiskParameters: RequestHandler[] = [
  // JSON whatever it is labelled, as spec 003 asks clients to send it; forms are read as forms.
  express.json({ limit: LIMIT, type: (request) => !FORM.test(request.headers['content-type'] ?? '') }),
  express.urlencoded({ extended: false, limit: LIMIT }),
  multipartFields,
];

/** A parameter as text: from the body first, else the query; numbers and booleans as written. */
export function parameter(request: Request, name: string): string | undefined {
  for (const source of [request.body as unknown, request.query as unknown]) {
    if (source === null || typeof source !== 'object') continue;
    const value: unknown = (source as Record<string, unknown>)[name];
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  }
  return undefined;
}
