import { Router, type Request, type Response } from 'express';
import path from 'node:path';
import type { Executor } from '../legacy-rest/execute';
import { legacyTime } from '../legacy-rest/imagehost/list-format';
import { viewPictureShare, type PictureView } from '../legacy-rest/imagehost/picture-view';
import { ErrorCode } from '../schema/error-code';
import { escapeHtml } from './escape-html';
import { ASSETS_URL, messageSheet, pageHeaders, pageLayout } from './page-layout';

const ASSETS_DIR = path.join(__dirname, 'share-page-assets');
const ASSETS = new Set(['share-page.css', 'share-page.js', 'favicon.svg']);

interface PageOutcome {
  status: number;
  main: string;
}

function pictureSheet(view: PictureView, timeZone: string): string {
  const name = escapeHtml(view.name ?? '');
  const picture = `/p/${encodeURIComponent(view.key)}`;
  return `<main class="sheet">
<header class="sheet__head">
<h1 class="sheet__title">分享图片</h1>
<p class="sheet__name" title="${name}">${name}</p>
</header>
<a class="picture" href="${picture}"><img class="picture__image" src="${picture}" alt="${name}"></a>
<dl class="facts">
<div class="fact"><dt>分享者</dt><dd id="sharer">${escapeHtml(view.sharer)}</dd></div>
<div class="fact"><dt>分享时间</dt><dd><time id="share-time" datetime="${escapeHtml(view.createdAt)}">${legacyTime(view.createdAt, timeZone)}</time></dd></div>
<div class="fact"><dt>浏览次数</dt><dd id="views">${view.viewCount}</dd></div>
</dl>
<div class="link">
<label class="link__label" for="picture-link">图片链接</label>
<div class="link__row">
<input class="link__field" id="picture-link" type="text" readonly value="${escapeHtml(view.url ?? '')}">
<button class="link__copy" id="copy-link" type="button">复制</button>
</div>
<p class="link__status" id="copy-status" role="status" aria-live="polite"></p>
</div>
</main>`;
}

const notFound: PageOutcome = {
  status: 404,
  main: messageSheet('分享图片', '没有找到这张分享的图片', '链接可能不完整，或者分享已经被取消。'),
};

async function outcome(
  executor: Executor,
  request: Request,
  key: unknown,
  timeZone: string,
): Promise<PageOutcome> {
  if (typeof key !== 'string') return notFound;
  const result = await viewPictureShare(executor, request, key);
  if (result.ok) return { status: 200, main: pictureSheet(result.data, timeZone) };
  switch (result.code) {
    case ErrorCode.GONE:
      return { status: 404, main: messageSheet('分享图片', '文件已经被删除', '分享者已经删除了这张图片。') };
    case ErrorCode.NOT_FOUND:
    case ErrorCode.BAD_USER_INPUT:
      return notFound;
    default:
      return { status: 500, main: messageSheet('分享图片', '暂时无法打开这张图片', '请稍后再试。') };
  }
}

/**
 * The picture-share page of spec 001 §17.1, at `/share?urlmd5=<key>` (where the old web client opened
 * it) and `/api/share?urlmd5=<key>` (where the spec says). Each open counts one view.
 */
export function sharePageRouter(executor: Executor, timeZone: string): Router {
  const router = Router();

  router.get(['/share', '/api/share'], async (request: Request, response: Response) => {
    const { status, main } = await outcome(executor, request, request.query.urlmd5, timeZone);
    response
      .status(status)
      .set(pageHeaders())
      .type('html')
      .send(pageLayout('分享图片', main, 'share-page.js'));
  });

  router.get(`${ASSETS_URL}/:file`, (request, response, next) => {
    const file = request.params.file;
    if (!ASSETS.has(file)) {
      next();
      return;
    }
    response.set({ 'Cache-Control': 'public, max-age=86400', 'X-Content-Type-Options': 'nosniff' });
    response.sendFile(path.join(ASSETS_DIR, file));
  });

  return router;
}
