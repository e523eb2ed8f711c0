import type { LegacyCredentials } from '../execute';

/** Spec 001 bodies carry the session as `token` and the account they act for as `user`. */
export function bodyCredentials(body: Record<string, unknown>): LegacyCredentials {
  return { token: body.token, userName: body.user };
}
