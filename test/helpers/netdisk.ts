import { randomBytes } from 'node:crypto';
import type { TestApp } from './test-app';

/** Spec 003's envelope. */
export interface NetdiskAnswer<Data = unknown> {
  code: number;
  state: string;
  msg: string;
  data?: Data;
}

export interface NetdiskUser {
  userName: string;
  password: string;
  email: string;
  token: string;
}

export interface Answered<Data = unknown> {
  status: number;
  body: NetdiskAnswer<Data>;
  headers: Headers;
}

async function answered<Data>(response: Response): Promise<Answered<Data>> {
  const text = await response.text();
  let body: NetdiskAnswer<Data>;
  try {
    body = JSON.parse(text) as NetdiskAnswer<Data>;
  } catch {
    throw new Error(`not JSON (HTTP ${response.status}): ${text.slice(0, 200)}`);
  }
  return { status: response.status, body, headers: response.headers };
}

/** POSTs a JSON body to `/Netdisk<path>`, as spec 003 asks clients to. */
export async function netdiskPost<Data = unknown>(
  app: TestApp,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answered<Data>> {
  const response = await fetch(`${app.url}/Netdisk${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return answered<Data>(response);
}

/** GETs `/Netdisk<path>` with the query parameters, with `token` as spec 003's `Authorization`. */
export async function netdiskGet<Data = unknown>(
  app: TestApp,
  path: string,
  query: Record<string, string> = {},
  token?: string,
): Promise<Answered<Data>> {
  const response = await fetch(netdiskUrl(app, path, query), {
    headers: token ? { authorization: token } : {},
  });
  return answered<Data>(response);
}

export function netdiskUrl(app: TestApp, path: string, query: Record<string, string> = {}): string {
  const url = new URL(`${app.url}/Netdisk${path}`);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.toString();
}

/** Registers through `/Netdisk/user/register` and signs in through `/Netdisk/user/login`. */
export async function netdiskSignUp(app: TestApp, freeLog = false): Promise<NetdiskUser> {
  const userName = `nd_${randomBytes(4).toString('hex')}`;
  const user = { userName, password: `pw-${userName}`, email: `${userName}@example.test` };
  const registered = await netdiskPost(app, '/user/register', {
    username: user.userName,
    password: user.password,
    name: `Name ${userName}`,
    address: user.email,
  });
  if (registered.body.code !== 200) throw new Error(`could not register: ${JSON.stringify(registered.body)}`);
  return { ...user, token: await netdiskLogin(app, user.userName, user.password, freeLog) };
}

export async function netdiskLogin(
  app: TestApp,
  userName: string,
  password: string,
  freeLog = false,
): Promise<string> {
  const login = await netdiskPost<{ token: string }>(app, '/user/login', {
    username: userName,
    password,
    freeLog,
  });
  if (login.body.code !== 200) throw new Error(`could not log in: ${JSON.stringify(login.body)}`);
  return login.body.data!.token;
}

/** Uploads `bytes` as `name` into the folder `destination` through `/Netdisk/api/uploadFile`. */
export async function netdiskUpload(
  app: TestApp,
  token: string,
  destination: string,
  name: string,
  bytes: Buffer | string,
): Promise<Answered<{ destination: string }>> {
  const form = new FormData();
  form.append('destination', destination);
  form.append('file', new Blob([Buffer.from(bytes)]), name);
  const response = await fetch(`${app.url}/Netdisk/api/uploadFile`, {
    method: 'POST',
    headers: { authorization: token },
    body: form,
  });
  return answered(response);
}

/** What spec 003 answers on success without data. */
export const ok = (msg: string) => ({ code: 200, state: 'success', msg, data: null });

/** Spec 003's answer to `/api/*` without a valid token, exactly. */
export const UNAUTHORIZED = { code: 1000, msg: '权限校验失败，请重新登录', state: 'exception' };
