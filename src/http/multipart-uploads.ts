import type { RequestHandler } from 'express';
import { graphqlUploadExpress } from 'graphql-upload-minimal';
import { clientErrorStatus } from './errors';

/**
 * graphql-upload-minimal's middleware, with every failure it reports counted as the client's. Busboy's
 * errors for a malformed or cut-short body carry no status, and a body with no parts at all is
 * answered 500 on the guess that another middleware read it first, which none does here.
 */
export function multipartUploads(options: { maxFileSize: number; maxFiles: number }): RequestHandler {
  const parse = graphqlUploadExpress(options);
  return (request, response, next) =>
    parse(request, response, (error?: unknown) => {
      if (error === undefined || clientErrorStatus(error)) next(error);
      else
        next(Object.assign(new Error('The multipart request is malformed'), { status: 400, expose: true }));
    });
}
