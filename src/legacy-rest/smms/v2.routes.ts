import express, { Router, type Request, type Response } from 'express';
import type { Executor, Failure, LegacyCredentials } from '../execute';
import { offsetPage } from '../offset-page';
import { ErrorCode } from '../../schema/error-code';
import { failureMessage, imageData, type ImageData } from './answers';
import { DELETE_IMAGE, ISSUE_TOKEN, MY_IMAGES, PROFILE, RECENT_IMAGES, type Image } from './operations';
import { baseOf, uploadImage } from './uploads';

const PER_PAGE = 100;

/** sm.ms v2's `code` for each failure an uploader may meet; the rest are `error`. */
function v2Code(result: Failure): string {
  switch (result.code) {
    case ErrorCode.UNAUTHENTICATED:
    case ErrorCode.FORBIDDEN:
      return 'unauthorized';
    case ErrorCode.RATE_LIMITED:
      return 'flood';
    case ErrorCode.NOT_FOUND:
      return 'not_found';
    default:
      return 'error';
  }
}

interface V2Answer {
  success: boolean;
  code: string;
  message: string;
  data?: unknown;
  /** Fields some answers add (`images`, the pages of a history). */
  [extra: string]: unknown;
}

/**
 * The v2 envelope. `message` is "success" on success: the `picgo` package (3.x) counts an answer as
 * a success only when `code` is 200 or `message` is "success", while PicGo 2 reads `success`.
 */
function send(response: Response, answer: V2Answer): void {
  response.json({ data: null, ...answer, RequestId: String(response.getHeader('X-Request-Id') ?? '') });
}

const fail = (response: Response, result: Failure) =>
  send(response, { success: false, code: v2Code(result), message: failureMessage(result) });

/** `Authorization: <token>` or `Basic <token>`, as sm.ms v2 clients send it. */
function credentialsOf(request: Request): LegacyCredentials {
  const header = request.get('authorization')?.trim();
  return header ? { token: header.replace(/^(basic|bearer)\s+/i, '') } : {};
}

/** A v2 image: v1's fields and its id and page (the image itself: there is no page of its own). */
function v2Image(image: Image, base: string): ImageData & { file_id: number; page: string } {
  return { file_id: 0, ...imageData(image, `${base}/delete/`), page: image.url };
}

/** sm.ms v2 (`/sm/api/v2`, and `/api/v2` where PicGo posts for a custom domain). */
export function v2Routes(executor: Executor, mountedAt: string): Router {
  const router = Router();
  const base = (image: Image) => `${baseOf(image)}${mountedAt}`;

  router.post('/upload', async (request, response) => {
    const { result } = await uploadImage(executor, request, credentialsOf(request));
    if (!result) return send(response, { success: false, code: 'error', message: 'No files were uploaded.' });
    if (!result.ok) return fail(response, result);
    const { image, repeated } = result.data;
    const data = v2Image(image, base(image));
    // An image the uploader already has: sm.ms says `image_repeated` with the URL in `images`, which
    // PicGo 2 reads; `success` and `message` make PicGo 3 take `data.url` too. Nothing new is stored.
    if (repeated)
      return send(response, {
        success: true,
        code: 'image_repeated',
        message: 'success',
        data,
        images: image.url,
      });
    send(response, { success: true, code: 'success', message: 'success', data });
  });

  router.get('/upload_history', async (request, response) => {
    const page = Math.max(
      1,
      Math.min(
        Number.parseInt(typeof request.query.page === 'string' ? request.query.page : '1', 10) || 1,
        1_000_000,
      ),
    );
    const result = await offsetPage<{ myImageUploads: { nodes?: Image[] } }, Image>(
      executor,
      request,
      { query: MY_IMAGES },
      (data) => data.myImageUploads as never,
      { offset: (page - 1) * PER_PAGE, limit: PER_PAGE },
      credentialsOf(request),
    );
    if (!result.ok) return fail(response, result);
    send(response, {
      success: true,
      code: 'success',
      message: 'success',
      data: result.data.nodes.map((image) => v2Image(image, base(image))),
      CurrentPage: page,
      TotalPages: Math.ceil(result.data.totalCount / PER_PAGE),
      PerPage: PER_PAGE,
      Count: result.data.totalCount,
    });
  });

  router.get('/history', async (request, response) => {
    const result = await executor.run<{ recentImageUploads: Image[] }>(request, { query: RECENT_IMAGES });
    if (!result.ok) return fail(response, result);
    send(response, {
      success: true,
      code: 'success',
      message: 'success',
      data: result.data.recentImageUploads.map((image) => v2Image(image, base(image))),
    });
  });

  router.get('/delete/:hash', async (request, response) => {
    const result = await executor.mutate(request, {
      query: DELETE_IMAGE,
      variables: { token: request.params.hash },
    });
    if (!result.ok)
      return send(response, { success: false, code: 'error', message: 'File already deleted.' });
    send(response, { success: true, code: 'success', message: 'File delete success.' });
  });

  router.all('/profile', async (request, response) => {
    const result = await executor.run<{
      viewer: { userName: string; email: string | null; usedBytes: number; quotaBytes: number | null } | null;
    }>(request, { query: PROFILE }, credentialsOf(request));
    if (!result.ok) return fail(response, result);
    const viewer = result.data.viewer;
    if (!viewer) return send(response, { success: false, code: 'unauthorized', message: 'Access Denied.' });
    send(response, {
      success: true,
      code: 'success',
      message: 'success',
      data: {
        username: viewer.userName,
        email: viewer.email,
        role: 'user',
        disk_usage_raw: viewer.usedBytes,
        disk_limit_raw: viewer.quotaBytes,
      },
    });
  });

  router.post(
    '/token',
    express.urlencoded({ extended: false, limit: '8kb' }),
    express.json({ limit: '8kb' }),
    async (request, response) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const userName = body.username ?? request.query.username;
      const password = body.password ?? request.query.password;
      if (typeof userName !== 'string' || typeof password !== 'string' || !userName || !password) {
        return send(response, {
          success: false,
          code: 'error',
          message: 'Username and password are required.',
        });
      }
      const result = await executor.mutate<{ token: string }>(request, {
        query: ISSUE_TOKEN,
        variables: { input: { userName, password, scope: 'FULL' } },
      });
      if (!result.ok) return fail(response, result);
      send(response, {
        success: true,
        code: 'success',
        message: 'success',
        data: { token: result.data.token },
      });
    },
  );

  return router;
}
