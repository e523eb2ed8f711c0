import { escapeHtml } from './escape-html';

/** Where the shared look of our pages is served from (share-page.ts serves these files). */
export const ASSETS_URL = '/share/assets';

/**
 * The headers every page of ours is sent with. Nothing but our own files may load, run or frame it:
 * no inline script or style at all; a page with a form may post it only to us.
 */
export function pageHeaders(forms: 'none' | 'self' = 'none'): Record<string, string> {
  const policy = [
    "default-src 'none'",
    "img-src 'self'",
    "style-src 'self'",
    "script-src 'self'",
    "base-uri 'none'",
    `form-action '${forms}'`,
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': policy,
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
  };
}

/** A whole page around `main` (already escaped HTML), in Chinese as the old web client was. */
export function pageLayout(title: string, main: string, script?: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" type="image/svg+xml" href="${ASSETS_URL}/favicon.svg">
<link rel="stylesheet" href="${ASSETS_URL}/share-page.css">
${script ? `<script src="${ASSETS_URL}/${script}" defer></script>\n` : ''}</head>
<body>
${main}
<footer class="footer">Picvault 图床</footer>
</body>
</html>
`;
}

/** A page's main part that only says something: a heading and a line under it. */
export function messageSheet(title: string, heading: string, detail: string): string {
  return `<main class="sheet sheet--message">
<h1 class="sheet__title">${escapeHtml(title)}</h1>
<p class="message" id="message">${escapeHtml(heading)}</p>
<p class="message__detail">${escapeHtml(detail)}</p>
</main>`;
}
