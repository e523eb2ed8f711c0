import type { AuthChecker } from 'type-graphql';
import { AppError } from '../app-error';
import type { Caller, RequestContext } from '../context';
import { ErrorCode } from '../schema/error-code';

/** The signed-in caller; throws UNAUTHENTICATED when there is none. */
export function callerOf(context: RequestContext): Caller {
  if (!context.caller) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Sign in first: send a valid token');
  return context.caller;
}

export const authChecker: AuthChecker<RequestContext> = ({ context }) => {
  callerOf(context);
  return true;
};
