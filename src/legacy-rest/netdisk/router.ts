import { Router, type ErrorRequestHandler } from 'express';
import { clientErrorStatus } from '../../http/errors';
import type { FileDownloads } from '../../http/file-downloads';
import type { Executor } from '../execute';
import { send } from './envelope';
import { fileRoutes } from './files.routes';
import { DirectLinkRoutes } from './links.routes';
import { userRoutes } from './user.routes';

/** Anything that fails before an operation runs (a body that is no JSON, too large) is still an answer. */
const answerInEnvelope: ErrorRequestHandler = (error, request, response, _next) => {
  if (clientErrorStatus(error) !== null) {
    send(response, { code: 300, state: 'exception', msg: '参数格式错误', data: null });
    return;
  }
  request.log.error({ err: error }, 'unhandled error in the Netdisk API');
  response.status(500);
  send(response, { code: 500, state: 'error', msg: '服务器错误', data: null });
};

export interface NetdiskOptions {
  /** IANA zone of the times in answers (config `TIME_ZONE`). */
  timeZone: string;
}

/** The Netdisk API of spec 003, mounted at `/Netdisk`. */
export function netdiskRouter(executor: Executor, downloads: FileDownloads, options: NetdiskOptions): Router {
  const links = new DirectLinkRoutes(executor, downloads, options.timeZone);
  const router = Router();
  router.use('/user', userRoutes(executor));
  router.use('/api', fileRoutes(executor, downloads), links.api());
  router.use(links.downloadRoutes());
  router.use((_request, response) => {
    response.status(404);
    send(response, { code: 404, state: 'exception', msg: '接口不存在', data: null });
  });
  router.use(answerInEnvelope);
  return router;
}
