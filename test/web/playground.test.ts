import { signUp } from '../helpers/accounts';
import { graphql } from '../helpers/http';
import { startTestApp, type TestApp } from '../helpers/test-app';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** Every `src=` and `href=` attribute value in an HTML page. */
function referencedUrls(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)].map(
    (match) => match[1] ?? match[2] ?? match[3],
  );
}

/** Anything that looks like an absolute or protocol-relative URL: `https://…`, `ws://…`, `//host/…`. */
function urlLookingStrings(text: string): string[] {
  return [...text.matchAll(/(?:\b[a-z][a-z0-9+.-]*:)?\/\/[^\s"'<>()]+/gi)].map((match) => match[0]);
}

/** The origin a URL found in our page resolves to, from the page's own address. */
const originOf = (reference: string, page: string) => new URL(reference, page).origin;

describe('the GraphiQL playground at /graphql', () => {
  let app: TestApp;
  let pageUrl: string;
  let html: string;
  let response: Response;

  beforeAll(async () => {
    app = await startTestApp({ redis: false });
    pageUrl = `${app.url}/graphql`;
    response = await fetch(pageUrl, { headers: { accept: 'text/html' } });
    html = await response.text();
  });
  afterAll(() => app.close());

  it('serves an HTML page, with a Content-Security-Policy, to a client that asks for HTML', () => {
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toMatch(/<div id="graphiql">/);
    const policy = response.headers.get('content-security-policy');
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("connect-src 'self'");
    expect(urlLookingStrings(policy ?? '')).toEqual([]);
  });

  it('serves the same page to a browser’s usual Accept header', async () => {
    const browser = await fetch(pageUrl, { headers: { accept: BROWSER_ACCEPT } });
    expect(browser.status).toBe(200);
    expect(await browser.text()).toBe(html);
  });

  it('references nothing outside our own origin', () => {
    const references = referencedUrls(html);
    expect(references.length).toBeGreaterThanOrEqual(4);
    for (const reference of [...references, ...urlLookingStrings(html)]) {
      expect({ reference, origin: originOf(reference, pageUrl) }).toEqual({
        reference,
        origin: new URL(app.url).origin,
      });
    }
  });

  it('has no inline script, which its policy would block', () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc=/);
      expect(body.trim()).toBe('');
    }
  });

  it('serves every asset the page references from /graphql/assets/', async () => {
    const assets = referencedUrls(html).map((reference) => new URL(reference, pageUrl));
    expect(assets.map((asset) => asset.pathname.replace(/[^/]*$/, ''))).toEqual(
      assets.map(() => '/graphql/assets/'),
    );
    for (const asset of assets) {
      const answer = await fetch(asset);
      const body = await answer.text();
      const kind = asset.pathname.endsWith('.css') ? /^text\/css/ : /javascript/;
      expect({ asset: asset.pathname, status: answer.status }).toEqual({
        asset: asset.pathname,
        status: 200,
      });
      expect(answer.headers.get('content-type')).toMatch(kind);
      expect(body.length).toBeGreaterThan(50);
      expect(body).not.toMatch(/^\s*<(!doctype|html)/i);
    }
  });

  it('loads the large packaged scripts whole, not a stub', async () => {
    const sizes: Record<string, number> = {};
    for (const file of ['graphiql.min.js', 'react.production.min.js', 'react-dom.production.min.js']) {
      sizes[file] = (await (await fetch(`${app.url}/graphql/assets/${file}`)).arrayBuffer()).byteLength;
    }
    expect(sizes['graphiql.min.js']).toBeGreaterThan(500_000);
    expect(sizes['react.production.min.js']).toBeGreaterThan(5_000);
    expect(sizes['react-dom.production.min.js']).toBeGreaterThan(100_000);
  });

  it('keeps the stylesheets’ url() references inline or on our origin (fonts are data: URIs)', async () => {
    const stylesheets = referencedUrls(html).filter((reference) => reference.endsWith('.css'));
    expect(stylesheets.length).toBeGreaterThan(0);
    for (const stylesheet of stylesheets) {
      const css = await (await fetch(new URL(stylesheet, pageUrl))).text();
      for (const [, quoted] of css.matchAll(/url\(\s*['"]?([^'")]*)/g)) {
        if (quoted.startsWith('data:') || quoted.startsWith('#')) continue;
        expect({ stylesheet, origin: originOf(quoted, `${app.url}${stylesheet}`) }).toEqual({
          stylesheet,
          origin: new URL(app.url).origin,
        });
      }
    }
  });

  it('opens with a query of the current schema, which answers once signed in', async () => {
    const script = await (await fetch(`${app.url}/graphql/assets/playground.js`)).text();
    const quoted = /defaultQuery:\s*('(?:[^'\\]|\\.)*')/.exec(script)?.[1];
    expect(quoted).toBeDefined();
    const query = JSON.parse(`"${quoted!.slice(1, -1).replace(/"/g, '\\"')}"`) as string;
    const user = await signUp(app);
    const answer = await graphql(app, query, {}, user.token);
    expect({ status: answer.status, errors: answer.errors }).toEqual({ status: 200, errors: undefined });
    expect(JSON.stringify(answer.data)).toContain(user.userName);
  });

  it('answers 404 for a file under /graphql/assets/ that it does not serve', async () => {
    for (const file of ['nope.js', 'index.html', 'graphiql.min.js.map', '..%2Fpackage.json']) {
      const answer = await fetch(`${app.url}/graphql/assets/${file}`);
      await answer.arrayBuffer();
      expect({ file, status: answer.status }).toEqual({ file, status: 404 });
    }
  });

  it('lets a GET that asks for JSON fall through to Apollo instead of the page', async () => {
    const blocked = await fetch(pageUrl, { headers: { accept: 'application/json' } });
    const blockedBody = await blocked.text();
    expect(blocked.headers.get('content-type')).toMatch(/^application\/json/);
    expect(blockedBody).not.toContain('<html');
    // No preflight header: Apollo's CSRF prevention answers, which proves the request reached Apollo.
    expect(blocked.status).toBe(400);
    expect(blockedBody).toMatch(/Cross-Site Request Forgery/);

    const query = await fetch(`${pageUrl}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(query.status).toBe(200);
    expect(await query.json()).toEqual({ data: { __typename: 'Query' } });
  });
});
