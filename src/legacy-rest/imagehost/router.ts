import { Router, type ErrorRequestHandler } from 'express';
import { clientErrorStatus } from '../../http/errors';
import type { Executor } from '../execute';
import { accountRoutes } from './accounts.routes';
import { fileRoutes } from './files.routes';
import { sharePictureRoutes } from './sharepic.routes';
import { shareRoutes } from './shares.routes';
import { uploadRoutes } from './upload.routes';
import { imageHostCode } from './codes';
import { ErrorCode } from '../../schema/error-code';

/** Anything that fails before an operation runs (bad JSON, an oversize body) is still a spec-001 answer. */
const answerWithCode: ErrorRequestHandler = (error, request, response, _next) => {
  const clientMistake = clientErrorStatus(error) !== null;
  if (!clientMistake) request.log.error({ err: error }, 'unhandled error in the image-host API');
  response
    .status(clientMistake ? 200 : 500)
    .json({ code: imageHostCode(clientMistake ? ErrorCode.BAD_USER_INPUT : ErrorCode.INTERNAL) });
};

export interface ImageHostOptions {
  /** IANA zone of the times in answers (config `TIME_ZONE`). */
  timeZone: string;
}

/** The image-host API of spec 001, mounted at `/api`. */
export function imageHostRouter(executor: Executor, options: ImageHostOptions): Router {
  const router = Router();
  router.use(accountRoutes(executor));
  router.use(fileRoutes(executor, options.timeZone));
  router.use(shareRoutes(executor, options.timeZone));
  router.use(sharePictureRoutes(executor, options.timeZone));
  router.use(uploadRoutes(executor));
  router.use(answerWithCode);
  return router;
}
