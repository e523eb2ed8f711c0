import { createHash, randomBytes } from 'node:crypto';
import { postJson } from './http';
import type { Reachable } from './test-app';

export const md5 = (text: string) => createHash('md5').update(text).digest('hex');

export interface TestUser {
  userName: string;
  password: string;
  token: string;
}

/** Registers and signs in through the spec-001 door, the way a legacy client would. */
export async function signUp(
  app: Reachable,
  userName = `user_${randomBytes(4).toString('hex')}`,
): Promise<TestUser> {
  const password = `pw-${userName}`;
  const registered = await postJson(app, '/api/reg', {
    userName,
    nickName: userName,
    firstPwd: md5(password),
  });
  if (registered.body.code !== 0)
    throw new Error(`could not register ${userName}: ${JSON.stringify(registered.body)}`);
  const login = await postJson(app, '/api/login', { user: userName, pwd: md5(password) });
  if (login.body.code !== 0) throw new Error(`could not log in ${userName}`);
  return { userName, password, token: login.body.token as string };
}
