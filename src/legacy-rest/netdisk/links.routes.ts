import { Router, type Request, type Response } from 'express';
import type { FileDownloads } from '../../http/file-downloads';
import { ErrorCode } from '../../schema/error-code';
import type { Executor } from '../execute';
import { legacyTime } from '../imagehost/list-format';
import { failure, send, success, type NetdiskAnswer } from './envelope';
import { netdiskParameters, parameter } from './parameters';

const FILE_AT = /* GraphQL */ `
  query NetdiskFileAt($path: String!) {
    item(path: $path) {
      ... on File {
        id
      }
    }
  }
`;

const CREATE_DIRECT_LINK = /* GraphQL */ `
  mutation NetdiskShareFile($input: CreateDirectLinkInput!) {
    createDirectLink(input: $input) {
      link {
        url
        expiresAt
        key
      }
      userErrors {
        code
        message
      }
    }
  }
`;

const DIRECT_LINK = /* GraphQL */ `
  query NetdiskDirectLink($token: String!, $key: String) {
    directLink(token: $token, key: $key) {
      status
      expiresAt
      download {
        url
      }
    }
  }
`;

const SAVE_DIRECT_LINK = /* GraphQL */ `
  mutation NetdiskStorage($input: SaveDirectLinkInput!) {
    saveDirectLink(input: $input) {
      file {
        id
      }
      userErrors {
        code
        message
      }
    }
  }
`;

interface DirectLink {
  status: 'OPEN' | 'EXPIRED' | 'KEY_REQUIRED' | 'KEY_INVALID' | 'FILE_GONE';
  expiresAt: string;
  download: { url: string } | null;
}

/** The token in a direct link URL, `…/Netdisk/download/<token>` (or `/straight/`), with its `key`. */
const LINK_PATH = /\/(?:download|straight)\/([\w-]+\.[\w-]+\.[\w-]+)$/;

const INVALID_LINK: NetdiskAnswer = { code: 300, state: 'exception', msg: '链接无效', data: null };

/**
 * What spec 003 shows for an expired link: the words of the Java JWT library the old server used,
 * which its clients may look for.
 */
function expiredAnswer(expiresAt: string): NetdiskAnswer {
  const expired = new Date(expiresAt);
  const now = new Date();
  const iso = (date: Date) => `${date.toISOString().slice(0, 19)}Z`;
  return {
    code: 600,
    state: 'exception',
    msg: `JWT expired at ${iso(expired)}. Current time: ${iso(now)}, a difference of ${now.getTime() - expired.getTime()} milliseconds.  Allowed clock skew: 0 milliseconds.`,
    data: null,
  };
}

/** Spec 003 direct links: `/api/shareFile` makes one, `/api/storage` saves one's file, and `/download`
 * and `/straight` serve it. */
export class DirectLinkRoutes {
  constructor(
    private readonly executor: Executor,
    private readonly downloads: FileDownloads,
    private readonly timeZone: string,
  ) {}

  /** `/api/shareFile` and `/api/storage`, behind the token check. */
  api(): Router {
    const router = Router();
    router.get('/shareFile', (request, response) => this.shareFile(request, response));
    router.all('/storage', ...netdiskParameters, (request, response) => this.storage(request, response));
    return router;
  }

  /** `/download/<token>` and `/straight/<token>` (`?key=`): public, the link is the permission. */
  downloadRoutes(): Router {
    const router = Router();
    router.get(['/download/:token', '/straight/:token'], (request, response) =>
      this.serve(request, response),
    );
    return router;
  }

  private async shareFile(request: Request, response: Response): Promise<void> {
    const destination = parameter(request, 'destination');
    const time = parameter(request, 'time');
    if (!destination)
      return send(response, { code: 300, state: 'exception', msg: '缺少参数:destination ', data: null });
    if (time !== undefined && !/^\d{1,12}$/.test(time)) {
      return send(response, { code: 300, state: 'exception', msg: '参数错误：time 是秒数', data: null });
    }
    const file = await this.executor.run<{ item: { id?: string } | null }>(request, {
      query: FILE_AT,
      variables: { path: destination },
    });
    if (!file.ok) return send(response, failure(file));
    if (!file.data.item?.id)
      return send(response, failure({ ok: false, code: ErrorCode.NOT_FOUND, message: '' }));
    const result = await this.executor.mutate<{
      link: { url: string; expiresAt: string; key: string | null };
    }>(request, {
      query: CREATE_DIRECT_LINK,
      variables: {
        input: {
          fileId: file.data.item.id,
          ...(time === undefined ? {} : { lifetimeSeconds: Number(time) }),
          key: parameter(request, 'key') || null,
          randomKey: parameter(request, 'getRandom') === 'true',
        },
      },
    });
    if (!result.ok) return send(response, failure(result));
    const { link } = result.data;
    send(
      response,
      success('获取成功', {
        downloadURL: link.url,
        destination,
        'efficient time': legacyTime(link.expiresAt, this.timeZone),
        key: link.key,
      }),
    );
  }

  private async storage(request: Request, response: Response): Promise<void> {
    const url = parameter(request, 'url');
    let token: string | undefined;
    let key: string | null = null;
    try {
      const parsed = new URL(url ?? '');
      token = LINK_PATH.exec(parsed.pathname)?.[1];
      key = parsed.searchParams.get('key');
    } catch {
      token = undefined;
    }
    if (!token) return send(response, INVALID_LINK);
    const result = await this.executor.mutate(request, {
      query: SAVE_DIRECT_LINK,
      variables: { input: { token, key: key || null, folder: parameter(request, 'destination') || '/' } },
    });
    if (result.ok) return send(response, success('文件储存成功'));
    if (result.code === ErrorCode.LINK_EXPIRED) {
      const link = await this.link(request, token, key);
      return send(response, link ? expiredAnswer(link.expiresAt) : INVALID_LINK);
    }
    // Spec 003 words a name already there as a 404, "file has been exit".
    send(response, failure(result, { [ErrorCode.NAME_TAKEN]: { code: 404, msg: 'file has been exit' } }));
  }

  private async serve(request: Request, response: Response): Promise<void> {
    const key = typeof request.query.key === 'string' ? request.query.key : null;
    const link = await this.link(request, request.params.token as string, key);
    switch (link?.status) {
      case undefined:
        return send(response, INVALID_LINK);
      case 'OPEN':
        return this.downloads.serveSignedUrl(request, response, link.download!.url);
      case 'EXPIRED':
        return send(response, expiredAnswer(link.expiresAt));
      case 'KEY_REQUIRED':
      case 'KEY_INVALID':
        return send(response, { code: 300, state: 'exception', msg: '密钥错误', data: null });
      case 'FILE_GONE':
        return send(response, failure({ ok: false, code: ErrorCode.NOT_FOUND, message: '' }));
    }
  }

  /** What a link holds; null for a string that is no link of ours (or a request that failed). */
  private async link(request: Request, token: string, key: string | null): Promise<DirectLink | null> {
    const result = await this.executor.run<{ directLink: DirectLink | null }>(request, {
      query: DIRECT_LINK,
      variables: { token, key },
    });
    return result.ok ? result.data.directLink : null;
  }
}
