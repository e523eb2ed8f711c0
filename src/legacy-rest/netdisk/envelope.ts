import type { Response } from 'express';
import type { Failure } from '../execute';
import { ErrorCode } from '../../schema/error-code';
import { netdiskStatus, OK_CODE, type NetdiskState } from './codes';

/** Spec 003's envelope: every documented outcome is HTTP 200 with its own `code`. */
export interface NetdiskAnswer {
  code: number;
  state: NetdiskState;
  msg: string;
  data?: unknown;
}

export const success = (msg: string, data: unknown = null): NetdiskAnswer => ({
  code: OK_CODE,
  state: 'success',
  msg,
  data,
});

/** Spec 003 "注意事项": exactly this, with no `data`, for `/api/*` without a valid token. */
export const UNAUTHORIZED: NetdiskAnswer = {
  code: 1000,
  msg: '权限校验失败，请重新登录',
  state: 'exception',
};

/** What a route says instead of the code table for one ErrorCode: a message, or a code and message. */
export type RouteWording = Partial<Record<ErrorCode, string | { code: number; msg: string }>>;

/**
 * The answer to a failed operation: the code table's status and message, unless the route words
 * that code its own way (spec 003 does for some routes); a bad argument says which it was.
 */
export function failure(result: Failure, wording: RouteWording = {}): NetdiskAnswer {
  if (result.code === ErrorCode.UNAUTHENTICATED) return UNAUTHORIZED;
  const status = netdiskStatus(result.code);
  const own = wording[result.code];
  if (typeof own === 'object') return { code: own.code, state: status.state, msg: own.msg, data: null };
  const msg =
    own ??
    (result.code === ErrorCode.BAD_USER_INPUT ? `${status.message}：${result.message}` : status.message);
  return { code: status.code, state: status.state, msg, data: null };
}

export function send(response: Response, answer: NetdiskAnswer): void {
  response.json(answer);
}
