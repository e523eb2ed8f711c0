import { md5 } from '../../helpers/accounts';
import { postJson } from '../../helpers/http';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const qingfu = {
  email: '472251823@qq.com',
  firstPwd: 'e10adc3949ba59abbe56e057f20f883e',
  nickName: 'lucky',
  phone: '18612345678',
  userName: 'qingfu',
};

describe.each([
  ['with Redis', true],
  ['without Redis', false],
])('spec 001 /api/reg and /api/login %s', (_label, redis) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ redis });
  });
  afterAll(() => app.close());

  const userCount = async (): Promise<number> =>
    (await app.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM users`))[0].n;

  it('registers the documented example and answers {"code":0} as JSON', async () => {
    const answer = await postJson(app, '/api/reg', qingfu);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.body).toEqual({ code: 0 });
  });

  it('answers 2 when the user exists, in any letter case', async () => {
    expect(
      (await postJson(app, '/api/reg', { ...qingfu, userName: 'QingFu', email: undefined })).body,
    ).toEqual({
      code: 2,
    });
  });

  it('logs in with the md5 of the password and returns a fresh 32-hex token each time', async () => {
    const first = await postJson(app, '/api/login', { user: 'qingfu', pwd: qingfu.firstPwd });
    const second = await postJson(app, '/api/login', { user: 'qingfu', pwd: qingfu.firstPwd });
    expect(first.body).toEqual({ code: 0, token: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(second.body.token).not.toBe(first.body.token);
  });

  it('answers 1 to a wrong password, an unknown user and a malformed pwd', async () => {
    for (const body of [
      { user: 'qingfu', pwd: md5('wrong') },
      { user: 'nobody', pwd: qingfu.firstPwd },
      { user: 'qingfu', pwd: '123456' },
      { user: 'qingfu' },
      { user: ['qingfu'], pwd: qingfu.firstPwd },
    ]) {
      expect((await postJson(app, '/api/login', body)).body).toEqual({ code: 1 });
    }
  });

  it('answers 1 even to the right password once an account took 10 wrong ones', async () => {
    const guessed = { ...qingfu, userName: 'guessed', email: undefined };
    expect((await postJson(app, '/api/reg', guessed)).body).toEqual({ code: 0 });
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const wrong = await postJson(app, '/api/login', { user: 'guessed', pwd: md5(`guess ${attempt}`) });
      expect(wrong.body).toEqual({ code: 1 });
    }
    expect((await postJson(app, '/api/login', { user: 'guessed', pwd: guessed.firstPwd })).body).toEqual({
      code: 1,
    });
    expect((await postJson(app, '/api/login', { user: 'qingfu', pwd: qingfu.firstPwd })).body.code).toBe(0);
  });

  it('reads the body as JSON whatever the Content-Type says', async () => {
    for (const contentType of [
      'application/octet-stream',
      'text/plain',
      'application/x-www-form-urlencoded',
    ]) {
      const answer = await postJson(
        app,
        '/api/login',
        { user: 'qingfu', pwd: qingfu.firstPwd },
        {
          'content-type': contentType,
        },
      );
      expect(answer.body.code).toBe(0);
    }
  });

  it('answers 1 and stores nothing for bad registrations', async () => {
    const before = await userCount();
    const bad: unknown[] = [
      { ...qingfu, userName: 'u'.repeat(33) },
      { ...qingfu, userName: 'n1', nickName: 'n'.repeat(33) },
      { ...qingfu, userName: 'n2', phone: '1'.repeat(17) },
      { ...qingfu, userName: 'n3', email: 'not-an-email' },
      { ...qingfu, userName: 'n4', firstPwd: 'e10adc3949ba59abbe56e057f20f883' },
      { ...qingfu, userName: 'n5', firstPwd: 'g10adc3949ba59abbe56e057f20f883e' },
      { ...qingfu, userName: 'n6', firstPwd: undefined },
      { ...qingfu, userName: undefined },
      { ...qingfu, userName: 'n7', nickName: undefined },
      { ...qingfu, userName: 7 },
      { ...qingfu, userName: 'n8', email: 'x@example.com', nickName: { $ne: 1 } },
    ];
    for (const body of bad) {
      expect({ body, answer: (await postJson(app, '/api/reg', body)).body }).toEqual({
        body,
        answer: { code: 1 },
      });
    }
    for (const raw of ['{"userName":', 'not json', '[1,2]', 'null', '"text"']) {
      expect((await postJson(app, '/api/reg', raw)).body).toEqual({ code: 1 });
    }
    expect(await userCount()).toBe(before);
  });

  it('refuses a huge body with code 1 and stores nothing', async () => {
    const before = await userCount();
    const answer = await postJson(app, '/api/reg', {
      ...qingfu,
      userName: 'huge',
      padding: 'x'.repeat(200_000),
    });
    expect(answer.body).toEqual({ code: 1 });
    expect(await userCount()).toBe(before);
  });

  it('lets exactly one of two concurrent registrations of a name through', async () => {
    const answers = await Promise.all(
      ['twin', 'TWIN'].map((userName) =>
        postJson(app, '/api/reg', { ...qingfu, email: undefined, userName }),
      ),
    );
    expect(answers.map((answer) => answer.body.code).sort()).toEqual([0, 2]);
  });
});
