import type { Request, RequestHandler } from 'express';
import { imageHostCode } from './codes';
import { ErrorCode } from '../../schema/error-code';

export interface LegacyAnswer {
  code: number;
  [field: string]: unknown;
}

/** Spec 001's answer to a request it cannot act on: a bad `cmd`, a malformed field. */
export const BAD_INPUT_ANSWER: LegacyAnswer = { code: imageHostCode(ErrorCode.BAD_USER_INPUT) };

export type LegacyCommand = (request: Request, body: Record<string, unknown>) => Promise<LegacyAnswer>;

/**
 * One spec-001 route whose action is chosen by `?cmd=`, such as `/api/dealfile?cmd=del`. An unknown
 * or missing `cmd` is code 1.
 */
export function commandRoute(commands: Record<string, LegacyCommand>): RequestHandler {
  return async (request, response) => {
    const name = request.query.cmd;
    const command = typeof name === 'string' && Object.hasOwn(commands, name) ? commands[name] : null;
    const body = request.body as Record<string, unknown>;
    response.json(command ? await command(request, body) : BAD_INPUT_ANSWER);
  };
}
