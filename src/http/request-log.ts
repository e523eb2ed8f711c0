import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger';

declare module 'http' {
  interface IncomingMessage {
    /** Its request id: the client's `X-Request-Id` when well-formed, a fresh UUID otherwise. */
    id: string;
    /** Logs lines that carry the request id. */
    log: Logger;
  }
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Gives each request its id (echoed as `X-Request-Id`) and a logger bound to it, and logs its
 * completion at info level. Below that level a request costs no more than the id: nothing waits for
 * its end, and no line is built to be thrown away.
 */
export function requestLog(logger: Logger): RequestHandler {
  const logCompletions = logger.isLevelEnabled('info');
  return (request, response, next) => {
    const offered = request.headers['x-request-id'];
    const id = typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : randomUUID();
    request.id = id;
    request.log = logger.child({ reqId: id });
    response.setHeader('X-Request-Id', id);
    if (logCompletions) {
      const started = performance.now();
      response.once('close', () => {
        const line = {
          req: { method: request.method, url: request.originalUrl },
          res: { statusCode: response.statusCode },
          responseTime: Math.round(performance.now() - started),
        };
        if (response.writableFinished) request.log.info(line, 'request completed');
        else request.log.warn(line, 'request aborted before its answer was sent');
      });
    }
    next();
  };
}
