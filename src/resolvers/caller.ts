import type { AuthChecker } from 'type-graphql';
import { AppError } from '../app-error';
import type { Caller, RequestContext } from '../context';
import { ErrorCode } from '../schema/error-code';
import type { UserType } from '../schema/user.type';

/**
 * The role of operations an UPLOAD-scoped API token may run: `@Authorized(UPLOAD)`. Plain
 * `@Authorized()` needs a login session or a FULL token.
 */
export const UPLOAD = 'upload';

/** The signed-in caller; throws UNAUTHENTICATED when there is none, FORBIDDEN for an upload-only token. */
export function callerOf(context: RequestContext): Caller {
  if (context.caller) return context.caller;
  if (context.uploader) {
    throw new AppError(ErrorCode.FORBIDDEN, 'This API token may only upload: use a FULL token or sign in');
  }
  throw new AppError(ErrorCode.UNAUTHENTICATED, 'Sign in first: send a valid token');
}

/** Whoever may upload, an UPLOAD-scoped API token included; throws UNAUTHENTICATED when nobody may. */
export function uploaderOf(context: RequestContext): Caller {
  if (!context.uploader) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Sign in first: send a valid token');
  return context.uploader;
}

/** The caller, when `user` is their own account: for what only its owner may see of it (an administrator setting a quota sees null). */
export function ownedBy(context: RequestContext, user: UserType): Caller | null {
  return context.caller?.userId === user.accountId ? context.caller : null;
}

export const authChecker: AuthChecker<RequestContext> = ({ context }, roles) => {
  if (roles.length === 0) callerOf(context);
  else if (roles.length === 1 && roles[0] === UPLOAD) uploaderOf(context);
  // A role nobody checks for would otherwise let everyone through.
  else throw new Error(`Unknown roles in @Authorized: ${roles.join(', ')}`);
  return true;
};
