import { Router, type ErrorRequestHandler } from 'express';
import { clientErrorStatus } from '../../http/errors';
import type { Executor } from '../execute';
import { accountRoutes } from './accounts.routes';
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

/** The image-host API of spec 001, mounted at `/api`. */
export function imageHostRouter(executor: Executor): Router {
  const router = Router();
  router.use(accountRoutes(executor));
  router.use(answerWithCode);
  return router;
}
