import { decodeJwt } from 'jose';
import { simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { md5, signUp } from '../../helpers/accounts';
import { postJson } from '../../helpers/http';
import { describeFile, desktopUploadBody, postUpload } from '../../helpers/legacy-upload';
import {
  netdiskGet,
  netdiskLogin,
  netdiskPost,
  netdiskSignUp,
  netdiskUpload,
  ok,
  UNAUTHORIZED,
} from '../../helpers/netdisk';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { eventually } from '../../helpers/wait';

interface ReceivedMail {
  to: string;
  text: string;
}

/** A real SMTP server in this process, keeping every message it is given. */
async function startMailbox(): Promise<{ url: string; received: ReceivedMail[]; close(): Promise<void> }> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, done) {
      simpleParser(stream)
        .then((mail) => {
          const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
          received.push({ to: to?.value[0]?.address ?? '', text: mail.text ?? '' });
          done();
        })
        .catch(done);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The first mail `received` to `address`, once it has come. */
async function mailTo(received: ReceivedMail[], address: string): Promise<ReceivedMail> {
  let mail: ReceivedMail | undefined;
  await eventually(async () => {
    mail = received.find((candidate) => candidate.to === address);
    if (!mail) throw new Error(`no mail to ${address} yet`);
  });
  return mail!;
}

const resetLinkIn = (mail: ReceivedMail) =>
  /https?:\/\/\S+\/reset-password\?token=[0-9a-f]+/.exec(mail.text)?.[0];

async function resetPassword(link: string, password: string): Promise<{ status: number; html: string }> {
  const token = new URL(link).searchParams.get('token')!;
  const response = await fetch(new URL('/reset-password', link), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, password, repeated: password }).toString(),
  });
  return { status: response.status, html: await response.text() };
}

describe('Netdisk /user/*', () => {
  let app: TestApp;
  let mailbox: Awaited<ReturnType<typeof startMailbox>>;
  beforeAll(async () => {
    mailbox = await startMailbox();
    app = await startTestApp({ env: { SMTP_URL: mailbox.url, MAIL_FROM: 'picvault@example.test' } });
  });
  afterAll(async () => {
    await app.close();
    await mailbox.close();
  });

  describe('login', () => {
    it('answers a JWT carrying the session id, lasting one day, or 30 with freeLog', async () => {
      const user = await netdiskSignUp(app);
      const login = await netdiskPost<{ name: string; token: string }>(app, '/user/login', {
        username: user.userName,
        password: user.password,
      });
      expect(login.status).toBe(200);
      expect(login.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(login.body).toMatchObject({ code: 200, state: 'success', msg: '登录成功' });
      expect(login.body.data!.name).toBe(`Name ${user.userName}`);
      const claims = decodeJwt(login.body.data!.token);
      const [session] = await app.dataSource.query<{ id: string; kind: string }[]>(
        `SELECT id, kind FROM sessions WHERE id = $1`,
        [claims.jti],
      );
      expect(session).toBeDefined();
      const day = 24 * 60 * 60;
      expect(claims.exp! - claims.iat!).toBeGreaterThanOrEqual(day - 5);
      expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(day + 5);

      const remembered = decodeJwt(await netdiskLogin(app, user.userName, user.password, true));
      expect(remembered.exp! - remembered.iat!).toBeGreaterThanOrEqual(30 * day - 5);
    });

    it('answers a wrong password or an unknown user with the documented 300', async () => {
      const user = await netdiskSignUp(app);
      for (const body of [
        { username: user.userName, password: 'wrong' },
        { username: 'nobody_here', password: 'x' },
      ]) {
        expect((await netdiskPost(app, '/user/login', body)).body).toEqual({
          code: 300,
          state: 'success',
          msg: '账号或密码错误',
          data: null,
        });
      }
    });

    it('names the first missing parameter, and answers a body that is no JSON with 300', async () => {
      expect((await netdiskPost(app, '/user/login', { username: 'x' })).body).toEqual({
        code: 300,
        state: 'exception',
        msg: '缺少参数:password ',
        data: null,
      });
      const broken = await netdiskPost(app, '/user/login', '{"username": ');
      expect(broken.status).toBe(200);
      expect(broken.body).toMatchObject({ code: 300, state: 'exception' });
    });
  });

  describe('register', () => {
    it('answers each missing field, an existing user name and an existing e-mail as documented', async () => {
      const full = { username: 'reg_a1', password: 'p', name: 'A', address: 'reg_a1@example.test' };
      for (const field of ['username', 'password', 'name', 'address'] as const) {
        const rest = Object.fromEntries(Object.entries(full).filter(([name]) => name !== field));
        expect((await netdiskPost(app, '/user/register', rest)).body).toEqual({
          code: 300,
          state: 'exception',
          msg: `缺少参数:${field} `,
          data: null,
        });
      }
      expect((await netdiskPost(app, '/user/register', full)).body).toEqual(ok('注册成功'));
      expect(
        (await netdiskPost(app, '/user/register', { ...full, address: 'other@example.test' })).body,
      ).toEqual({ code: 300, state: 'exception', msg: '用户名已经存在', data: null });
      expect(
        (
          await netdiskPost(app, '/user/register', {
            ...full,
            username: 'reg_a2',
            address: 'REG_A1@example.test',
          })
        ).body,
      ).toEqual({ code: 300, state: 'exception', msg: '邮箱地址已经被注册', data: null });
      const [{ count }] = await app.dataSource.query<{ count: string }[]>(
        `SELECT count(*) FROM users WHERE user_name IN ('reg_a1', 'reg_a2')`,
      );
      expect(Number(count)).toBe(1);
    });
  });

  describe('one account through every door', () => {
    it('signs in here with a /api/reg account and sees its /api/upload files, and the other way round', async () => {
      const legacy = await signUp(app);
      const bytes = Buffer.from('uploaded through spec 001');
      const body = desktopUploadBody(bytes, {
        parameters: describeFile(legacy.userName, 'legacy.txt', bytes),
      });
      expect((await postUpload(app, body, { authorization: legacy.token })).body).toEqual({ code: 0 });

      const token = await netdiskLogin(app, legacy.userName, legacy.password);
      const search = await netdiskGet<{ file: string[] }>(app, '/api/searchFile', { name: 'legacy' }, token);
      expect(search.body.data!.file).toEqual(['/legacy.txt']);
      const download = await fetch(`${app.url}/Netdisk/api/downloadFile?destination=/legacy.txt`, {
        headers: { authorization: token },
      });
      expect(await download.text()).toBe('uploaded through spec 001');

      expect((await netdiskUpload(app, token, '/', 'netdisk.txt', 'uploaded here')).body.code).toBe(200);
      const listed = await postJson(app, '/api/myfiles?cmd=normal', {
        token: legacy.token,
        user: legacy.userName,
        start: 0,
        count: 10,
      });
      const names = (listed.body.files as { file_name: string }[]).map((file) => file.file_name).sort();
      expect(names).toEqual(['legacy.txt', 'netdisk.txt']);
    });

    it('lets a Netdisk account sign in through /api/login with the md5 of the same password', async () => {
      const user = await netdiskSignUp(app);
      const login = await postJson(app, '/api/login', { user: user.userName, pwd: md5(user.password) });
      expect(login.body.code).toBe(0);
    });
  });

  describe('tokens', () => {
    it('answers /api/* with the exact documented 1000 with no token, a forged, truncated or alien one', async () => {
      const user = await netdiskSignUp(app);
      const [head, payload, signature] = user.token.split('.');
      const forgedPayload = Buffer.from(
        JSON.stringify({ ...decodeJwt(user.token), sub: 'someone_else' }),
      ).toString('base64url');
      const tokens = [
        undefined,
        `${head}.${forgedPayload}.${signature}`,
        `${head}.${payload}.${signature.slice(0, -2)}`,
        user.token.slice(0, 40),
        `${head}.${payload}`,
        'eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.',
        'x'.repeat(5000),
      ];
      for (const token of tokens) {
        const answer = await netdiskGet(app, '/api/searchFile', { name: 'a' }, token);
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual(UNAUTHORIZED);
      }
      expect((await netdiskGet(app, '/api/searchFile', { name: 'a' }, user.token)).body.code).toBe(200);
      expect(
        (await netdiskGet(app, '/api/searchFile', { name: 'a' }, `Bearer ${user.token}`)).body.code,
      ).toBe(200);
    });

    it('refuses a JWT after logout, and only that session ends', async () => {
      const user = await netdiskSignUp(app);
      const other = await netdiskLogin(app, user.userName, user.password);
      const logout = await fetch(`${app.url}/Netdisk/user/logout`, {
        method: 'POST',
        headers: { authorization: user.token },
      });
      expect(await logout.json()).toEqual(ok('登出成功'));
      expect((await netdiskGet(app, '/api/searchFile', { name: 'a' }, user.token)).body).toEqual(
        UNAUTHORIZED,
      );
      expect((await netdiskGet(app, '/api/searchFile', { name: 'a' }, other)).body.code).toBe(200);
    });

    it('refuses a JWT whose session has expired', async () => {
      const user = await netdiskSignUp(app);
      await app.dataSource.query(
        `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`,
        [decodeJwt(user.token).jti],
      );
      expect((await netdiskGet(app, '/api/searchFile', { name: 'a' }, user.token)).body).toEqual(
        UNAUTHORIZED,
      );
    });
  });

  describe('find (password recovery)', () => {
    it('mails a link that sets a new password once, after which the old one and old sessions fail', async () => {
      const user = await netdiskSignUp(app);
      const find = await netdiskGet(app, '/user/find', { addr: user.email });
      expect(find.body).toEqual({ code: 200, state: 'success', msg: '获取成功', data: null });
      const mail = await mailTo(mailbox.received, user.email);
      const link = resetLinkIn(mail)!;
      expect(link.startsWith(`${app.url}/reset-password?token=`)).toBe(true);

      const page = await fetch(link);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('name="password"');

      const reset = await resetPassword(link, 'a brand new password');
      expect(reset.status).toBe(200);
      expect(reset.html).toContain('密码已经重置');
      expect(
        (await netdiskPost(app, '/user/login', { username: user.userName, password: user.password })).body,
      ).toMatchObject({ code: 300, msg: '账号或密码错误' });
      await netdiskLogin(app, user.userName, 'a brand new password');
      expect((await netdiskGet(app, '/api/searchFile', { name: 'a' }, user.token)).body).toEqual(
        UNAUTHORIZED,
      );

      const again = await resetPassword(link, 'a third password');
      expect(again.status).toBe(410);
      expect(again.html).toContain('链接已经用过了');
      await netdiskLogin(app, user.userName, 'a brand new password');
    });

    it('refuses an expired link and changes nothing', async () => {
      const user = await netdiskSignUp(app);
      await netdiskGet(app, '/user/find', { addr: user.email });
      const mail = await mailTo(mailbox.received, user.email);
      await app.dataSource.query(
        `UPDATE password_resets SET expires_at = now() - interval '1 second'
          WHERE user_id = (SELECT id FROM users WHERE user_name = $1)`,
        [user.userName],
      );
      const reset = await resetPassword(resetLinkIn(mail)!, 'never set');
      expect(reset.status).toBe(410);
      expect(reset.html).toContain('链接已经过期');
      await netdiskLogin(app, user.userName, user.password);
    });

    it('refuses a link we never sent, and a form whose passwords differ', async () => {
      const forged = await resetPassword(`${app.url}/reset-password?token=${'0'.repeat(32)}`, 'x');
      expect(forged.status).toBe(404);
      const differing = await fetch(`${app.url}/reset-password`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'token=abc&password=one&repeated=two',
      });
      expect(differing.status).toBe(400);
    });

    it('answers an unknown well-formed address alike and sends nothing; a malformed one is 300', async () => {
      const before = mailbox.received.length;
      expect((await netdiskGet(app, '/user/find', { addr: 'nobody@example.test' })).body).toEqual({
        code: 200,
        state: 'success',
        msg: '获取成功',
        data: null,
      });
      for (const addr of ['not-an-address', '', 'a@', '@b.c']) {
        expect((await netdiskGet(app, '/user/find', { addr })).body).toEqual({
          code: 300,
          state: 'success',
          msg: '邮箱地址错误',
          data: null,
        });
      }
      await app.settled();
      expect(mailbox.received.length).toBe(before);
    });
  });
});

describe('Netdisk /user/find without SMTP_URL', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('writes the mail to DATA_DIR/outbox as an .eml file holding the link', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const user = await netdiskSignUp(app);
    expect((await netdiskGet(app, '/user/find', { addr: user.email })).body.code).toBe(200);
    await app.settled();
    const outbox = `${app.dataDir}/outbox`;
    const [file] = await readdir(outbox);
    expect(file).toMatch(/\.eml$/);
    const mail = await simpleParser(await readFile(`${outbox}/${file}`));
    expect(mail.text).toMatch(/\/reset-password\?token=[0-9a-f]+/);
  });
});
