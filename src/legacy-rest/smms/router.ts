import { Router, type ErrorRequestHandler } from 'express';
import type { Executor } from '../execute';
import { v1Routes } from './v1.routes';
import { v2Routes } from './v2.routes';

/** Anything that fails before an operation runs is still an answer in the door's own form. */
const answerAsError: ErrorRequestHandler = (error, request, response, _next) => {
  request.log.error({ err: error }, 'unhandled error in the sm.ms API');
  response.status(500).json({ code: 'error', msg: 'Server error.' });
};

/** sm.ms v1 (spec 004) at `/sm/api`, and v2 at `/sm/api/v2`; mounted at `/sm`. */
export function smmsRouter(executor: Executor): Router {
  const router = Router();
  router.use('/api/v2', v2Routes(executor, '/sm/api/v2'));
  router.use('/api', v1Routes(executor));
  router.use(answerAsError);
  return router;
}

/** sm.ms v2 at `/api/v2`, where PicGo posts for a custom domain; nothing of spec 001 is there. */
export function smmsV2Router(executor: Executor): Router {
  const router = Router();
  router.use(v2Routes(executor, '/api/v2'));
  router.use(answerAsError);
  return router;
}
