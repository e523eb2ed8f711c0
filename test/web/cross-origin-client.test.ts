import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { md5, signUp, type TestUser } from '../helpers/accounts';
import { launchChromium } from '../helpers/browser';
import { postJson } from '../helpers/http';
import { describeFile, desktopUploadBody, postUpload } from '../helpers/legacy-upload';
import { tinyPng } from '../helpers/images';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * What the legacy web client does to download a file, run in a page of another origin than the API:
 * sign in, list, fetch the listed `url` with XHR, then count the download. A plain script string:
 * this project's TypeScript knows no DOM.
 */
const LEGACY_DOWNLOAD = `async ({ api, user, pwd }) => {
  const post = (path, body) =>
    fetch(api + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then((response) => response.json());
  const login = await post('/api/login', { user, pwd });
  const listed = await post('/api/myfiles?cmd=normal', { user, token: login.token, start: 0, count: 10 });
  const file = listed.files[0];
  const bytes = await new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('GET', file.url);
    xhr.responseType = 'arraybuffer';
    xhr.onload = () => resolve(xhr.response.byteLength);
    xhr.onerror = () => reject(new Error('the download was blocked'));
    xhr.send();
  });
  const counted = await post('/api/dealfile?cmd=pv', { user, token: login.token, md5: file.md5, filename: file.file_name });
  return { login: login.code, url: file.url, bytes, counted: counted.code };
}`;

function servePage(): Promise<Server> {
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end('<!doctype html><title>legacy client</title><p>legacy client</p>');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('the legacy web client served from another origin', () => {
  let app: TestApp;
  let page: Server;
  let pageOrigin: string;
  let browser: Browser;
  let alice: TestUser;
  const picture = tinyPng(5, 5, [200, 30, 30]);

  beforeAll(async () => {
    page = await servePage();
    // Another host name and port than the API's 127.0.0.1: a separate origin in every respect.
    pageOrigin = `http://localhost:${(page.address() as AddressInfo).port}`;
    app = await startTestApp({ env: { PUBLIC_URL: '', CORS_ORIGINS: pageOrigin } });
    alice = await signUp(app);
    const body = desktopUploadBody(picture, { parameters: describeFile(alice.userName, 'red.png', picture) });
    expect((await postUpload(app, body, { authorization: alice.token })).body).toEqual({ code: 0 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app.close();
    await new Promise((resolve) => page.close(resolve));
  });

  it('signs in, lists, downloads the listed URL and counts the download', async () => {
    const tab = await browser.newPage();
    await tab.goto(pageOrigin, { waitUntil: 'load' });
    const result = await tab.evaluate(
      `(${LEGACY_DOWNLOAD})(${JSON.stringify({
        api: app.url,
        user: alice.userName,
        pwd: md5(alice.password),
      })})`,
    );
    expect(result).toEqual({
      login: 0,
      url: expect.stringMatching(new RegExp(`^${app.url}/files/`)) as unknown,
      bytes: picture.length,
      counted: 0,
    });
    const listed = await postJson(app, '/api/myfiles?cmd=normal', {
      token: alice.token,
      user: alice.userName,
      start: 0,
      count: 10,
    });
    expect(listed.body.files).toEqual([expect.objectContaining({ file_name: 'red.png', pv: 1 })]);
    await tab.close();
  });
});
