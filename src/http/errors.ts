import type { ErrorRequestHandler, RequestHandler } from 'express';

interface HttpParserError {
  type?: string;
  status?: number;
  expose?: boolean;
  message?: string;
}

/** Body-parser and similar errors carry the HTTP status of a client mistake; anything else is a bug. */
export function clientErrorStatus(error: unknown): number | null {
  const status = (error as HttpParserError | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}

export const notFoundHandler: RequestHandler = (request, response) => {
  response
    .status(404)
    .json({ error: { code: 'NOT_FOUND', message: 'No such route', requestId: request.id } });
};

/** The last handler: a client mistake keeps its 4xx status, anything else is a logged 500 with no details. */
export const errorHandler: ErrorRequestHandler = (error, request, response, next) => {
  if (response.headersSent) {
    next(error);
    return;
  }
  const status = clientErrorStatus(error);
  if (status) {
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_USER_INPUT';
    const message = (error as HttpParserError).expose
      ? String((error as HttpParserError).message)
      : 'Bad request';
    response.status(status).json({ error: { code, message, requestId: request.id } });
    return;
  }
  request.log.error({ err: error }, 'unhandled error');
  response
    .status(500)
    .json({ error: { code: 'INTERNAL', message: 'Internal server error', requestId: request.id } });
};
