import { Router } from 'express';
import type { Executor } from '../execute';
import { imageHostCode, OK } from './codes';
import { BAD_INPUT_ANSWER, commandRoute } from './commands';
import { bodyCredentials } from './credentials';
import { legacyJsonBody } from './json';
import { legacyTime, listAnswer, pageWindow } from './list-format';
import { runOnNamedFile } from './named-file';
import { viewPictureShare } from './picture-view';

const SHARE_PICTURE = /* GraphQL */ `
  mutation LegacySharePicture($id: ID!) {
    sharePicture(id: $id) {
      key
    }
  }
`;

const MY_PICTURE_SHARES = /* GraphQL */ `
  query LegacyMyPictureShares($offset: Int!, $limit: Int!) {
    myPictureShares(offset: $offset, limit: $limit) {
      totalCount
      pictureShares {
        sharer
        md5
        name
        key
        pv
        createdAt
        size
      }
    }
  }
`;

const CANCEL_PICTURE_SHARE = /* GraphQL */ `
  mutation LegacyCancelPictureShare($key: String!) {
    cancelPictureShare(key: $key)
  }
`;

/** A picture share in the owner's list; the file's fields are null once the file was deleted. */
interface ListedPictureShare {
  sharer: string;
  md5: string | null;
  name: string | null;
  key: string;
  pv: number;
  createdAt: string;
  size: number | null;
}

/** Spec 001 §17 `/api/sharepic`: picture shares, whose key (`urlmd5`) opens the share page. */
export function sharePictureRoutes(executor: Executor, timeZone: string): Router {
  const router = Router();

  router.post(
    '/sharepic',
    ...legacyJsonBody,
    commandRoute({
      share: async (request, body) => {
        const result = await runOnNamedFile<{ sharePicture: { key: string } }>(
          executor,
          request,
          body,
          SHARE_PICTURE,
        );
        return result.ok
          ? { code: OK, urlmd5: result.data.sharePicture.key }
          : { code: imageHostCode(result.code) };
      },
      browse: async (request, body) => {
        const result = await viewPictureShare(executor, request, body.urlmd5);
        if (!result.ok) return { code: imageHostCode(result.code, 'browse') };
        const view = result.data;
        return {
          code: OK,
          url: view.url,
          user: view.sharer,
          pv: view.pv,
          time: legacyTime(view.createdAt, timeZone),
        };
      },
      normal: async (request, body) => {
        const page = pageWindow(body);
        if (!page) return BAD_INPUT_ANSWER;
        const result = await executor.run<{
          myPictureShares: { totalCount: number; pictureShares: ListedPictureShare[] };
        }>(request, { query: MY_PICTURE_SHARES, variables: { ...page } }, bodyCredentials(body));
        if (!result.ok) return { code: imageHostCode(result.code) };
        const { totalCount, pictureShares } = result.data.myPictureShares;
        return listAnswer(
          totalCount,
          pictureShares.map((share) => ({
            user: share.sharer,
            filemd5: share.md5,
            file_name: share.name,
            urlmd5: share.key,
            pv: share.pv,
            create_time: legacyTime(share.createdAt, timeZone),
            size: share.size,
          })),
        );
      },
      cancel: async (request, body) => {
        const result = await executor.run(
          request,
          { query: CANCEL_PICTURE_SHARE, variables: { key: body.urlmd5 } },
          bodyCredentials(body),
        );
        return { code: result.ok ? OK : imageHostCode(result.code) };
      },
    }),
  );

  return router;
}
