import type { Browser } from 'playwright-core';
import { signUp, type TestUser } from '../helpers/accounts';
import { deleteItem, uploadFile } from '../helpers/files';
import { launchChromium } from '../helpers/browser';
import { postJson } from '../helpers/http';
import { tinyPng } from '../helpers/images';
import { startTestApp, type TestApp } from '../helpers/test-app';

const POLICY =
  "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'none'";

// The browser-side checks are plain script strings: this project's TypeScript knows no DOM.
const RECORD_CSP_VIOLATIONS = `
  window.cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) =>
    window.cspViolations.push(event.violatedDirective + ' ' + event.blockedURI));
`;

/** Every `src=` and `href=` attribute value in an HTML page. */
const referencedUrls = (html: string) =>
  [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((match) => match[1]);

/** The text of the element with this id, tags stripped. */
function textOf(html: string, id: string): string | undefined {
  const match = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</`).exec(html);
  return match?.[1].replace(/<[^>]*>/g, '');
}

describe('the picture-share page at /share?urlmd5= and /api/share?urlmd5=', () => {
  let app: TestApp;
  let alice: TestUser;

  beforeAll(async () => {
    app = await startTestApp({ redis: false });
    alice = await signUp(app);
  });
  afterAll(() => app.close());

  /** Uploads a picture as alice and picture-shares it; returns its key. */
  async function sharedPicture(name: string, bytes: Buffer): Promise<{ key: string; id: string }> {
    const file = await uploadFile(app, alice.token, name, bytes);
    const answer = await postJson(app, '/api/sharepic?cmd=share', {
      token: alice.token,
      user: alice.userName,
      md5: file.md5,
      filename: name,
    });
    expect(answer.body).toMatchObject({ code: 0 });
    return { key: answer.body.urlmd5 as string, id: file.id };
  }

  const open = async (path: string) => {
    const response = await fetch(`${app.url}${path}`);
    return { response, html: await response.text() };
  };

  describe('served as HTML', () => {
    let key: string;

    beforeAll(async () => {
      ({ key } = await sharedPicture('garden.png', tinyPng(4, 3)));
    });

    it('shows the sharer, the share time, the views, the link with a copy button and the picture', async () => {
      const { response, html } = await open(`/share?urlmd5=${key}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(html).toContain('<title>分享图片</title>');
      expect(html).toContain('分享者');
      expect(textOf(html, 'sharer')).toBe(alice.userName);
      expect(html).toContain('分享时间');
      expect(textOf(html, 'share-time')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(html).toContain('浏览次数');
      expect(textOf(html, 'views')).toBe('1');
      expect(html).toContain('图片链接');
      expect(html).toContain(`value="${app.url}/p/${key}"`);
      expect(html).toMatch(/<button[^>]*id="copy-link"[^>]*>复制<\/button>/);
      expect(html).toContain(`<img class="picture__image" src="/p/${key}" alt="garden.png">`);
    });

    it('counts one view per open, at either address, and answers no-store', async () => {
      const before = Number(textOf((await open(`/share?urlmd5=${key}`)).html, 'views'));
      const again = await open(`/api/share?urlmd5=${key}`);
      expect(again.response.status).toBe(200);
      expect(again.response.headers.get('cache-control')).toBe('no-store');
      expect(Number(textOf(again.html, 'views'))).toBe(before + 1);
      const browse = await postJson(app, '/api/sharepic?cmd=browse', { urlmd5: key });
      expect(browse.body.pv).toBe(before + 2);
    });

    it('sends the strict policy and loads nothing but its own static files, with no inline script', async () => {
      const { response, html } = await open(`/share?urlmd5=${key}`);
      expect(response.headers.get('content-security-policy')).toBe(POLICY);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(html).not.toMatch(/<script\b[^>]*>\s*[^<\s]/);
      expect(html).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i);
      const references = referencedUrls(html);
      expect(references).toEqual(
        expect.arrayContaining([
          '/share/assets/share-page.css',
          '/share/assets/share-page.js',
          '/share/assets/favicon.svg',
          `/p/${key}`,
        ]),
      );
      for (const reference of references) {
        expect(new URL(reference, app.url).origin).toBe(app.url);
        const asset = await fetch(new URL(reference, app.url));
        expect({ reference, status: asset.status }).toEqual({ reference, status: 200 });
      }
    });

    it('serves its assets with their types, and nothing else under /share/assets/', async () => {
      const types = {
        'share-page.css': /^text\/css/,
        'share-page.js': /^(text|application)\/javascript/,
        'favicon.svg': /^image\/svg\+xml/,
      };
      for (const [file, type] of Object.entries(types)) {
        const asset = await fetch(`${app.url}/share/assets/${file}`);
        expect(asset.status).toBe(200);
        expect(asset.headers.get('content-type')).toMatch(type);
      }
      for (const file of ['index.html', '..%2Fshare-page.ts', 'share-page.ts']) {
        expect((await fetch(`${app.url}/share/assets/${file}`)).status).toBe(404);
      }
    });
  });

  it('shows a name with HTML in it as text', async () => {
    const name = '<img src=x onerror=alert(1)>.png';
    const { key } = await sharedPicture(name, tinyPng(2, 2, [10, 20, 30]));
    const { response, html } = await open(`/share?urlmd5=${key}`);
    expect(response.status).toBe(200);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;.png');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('onerror=alert(1)>');
  });

  it('answers 404 with a friendly page for an unknown, ill-formed or missing key', async () => {
    for (const path of [
      `/share?urlmd5=${'0'.repeat(32)}`,
      '/share?urlmd5=%3Cscript%3E',
      '/share',
      '/share?urlmd5=a&urlmd5=b',
      `/api/share?urlmd5=${'0'.repeat(32)}`,
    ]) {
      const { response, html } = await open(path);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('content-security-policy')).toBe(POLICY);
      expect(textOf(html, 'message')).toBe('没有找到这张分享的图片');
      expect(html).not.toContain('<script>');
    }
  });

  it('answers 404 with 文件已经被删除 once the file was deleted', async () => {
    const { key, id } = await sharedPicture('deleted.png', tinyPng(3, 3));
    await deleteItem(app, alice.token, id);
    const { response, html } = await open(`/share?urlmd5=${key}`);
    expect(response.status).toBe(404);
    expect(textOf(html, 'message')).toBe('文件已经被删除');
  });

  describe('in a real browser', () => {
    let browser: Browser;

    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(() => browser.close());

    it('renders the picture, the sharer and a rising count, copies the link, and breaks no rule', async () => {
      const { key } = await sharedPicture('browser.png', tinyPng(4, 3, [40, 120, 220]));
      const context = await browser.newContext({ viewport: { width: 900, height: 760 } });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
      // Init scripts run before the page's own and outside its policy, so they can watch it.
      await context.addInitScript({ content: RECORD_CSP_VIOLATIONS });
      const page = await context.newPage();
      const problems: string[] = [];
      const requested: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('request', (request) => requested.push(request.url()));

      const shown = async () => ({
        naturalWidth: await page.evaluate(`document.querySelector('img.picture__image').naturalWidth`),
        sharer: await page.textContent('#sharer'),
        views: await page.textContent('#views'),
        violations: await page.evaluate('window.cspViolations'),
      });

      const first = await page.goto(`${app.url}/share?urlmd5=${key}`, { waitUntil: 'load' });
      expect(first?.status()).toBe(200);
      expect(await shown()).toEqual({ naturalWidth: 4, sharer: alice.userName, views: '1', violations: [] });

      await page.reload({ waitUntil: 'load' });
      expect(await shown()).toEqual({ naturalWidth: 4, sharer: alice.userName, views: '2', violations: [] });
      await page.goto(`${app.url}/api/share?urlmd5=${key}`, { waitUntil: 'load' });
      expect(await shown()).toEqual({ naturalWidth: 4, sharer: alice.userName, views: '3', violations: [] });

      await page.click('#copy-link');
      await page.waitForFunction(`document.getElementById('copy-status').textContent !== ''`);
      expect(await page.textContent('#copy-link')).toBe('已复制');
      expect(await page.evaluate('navigator.clipboard.readText()')).toBe(`${app.url}/p/${key}`);

      expect(problems).toEqual([]);
      expect(requested.length).toBeGreaterThanOrEqual(5);
      expect(requested.filter((url) => new URL(url).origin !== app.url)).toEqual([]);
      await context.close();
    });

    it('shows the deleted message in a browser without script errors', async () => {
      const { key, id } = await sharedPicture('gone.png', tinyPng(2, 2));
      await deleteItem(app, alice.token, id);
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      const response = await page.goto(`${app.url}/share?urlmd5=${key}`, { waitUntil: 'load' });
      expect(response?.status()).toBe(404);
      expect(await page.textContent('#message')).toBe('文件已经被删除');
      expect(await page.title()).toBe('分享图片');
      expect(errors).toEqual([]);
      await page.close();
    });
  });
});
