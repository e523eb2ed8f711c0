import { Router } from 'express';
import { ErrorCode } from '../../schema/error-code';
import type { Executor } from '../execute';
import { offsetPage, type ConnectionData } from '../offset-page';
import { imageHostCode, OK } from './codes';
import { BAD_INPUT_ANSWER, commandRoute } from './commands';
import { bodyCredentials } from './credentials';
import { legacyJsonBody } from './json';
import { legacyTime, listAnswer, pageWindow } from './list-format';
import { runOnNamedFile } from './named-file';
import { viewPictureShare } from './picture-view';

const SHARE_PICTURE = /* GraphQL */ `
  mutation LegacySharePicture($id: ID!) {
    sharePicture(input: { fileId: $id }) {
      pictureShare {
        key
      }
      userErrors {
        code
        message
      }
    }
  }
`;

const MY_PICTURE_SHARES = /* GraphQL */ `
  query LegacyMyPictureShares($first: Int!, $after: String, $withTotal: Boolean!, $withNodes: Boolean!) {
    myPictureShares(first: $first, after: $after) {
      totalCount @include(if: $withTotal)
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes @include(if: $withNodes) {
        sharer
        md5
        name
        key
        viewCount
        createdAt
        size
      }
    }
  }
`;

const PICTURE_SHARE_ID = /* GraphQL */ `
  query LegacyPictureShareId($key: String!) {
    # Only a signed-in caller may cancel: without a token this fails as such, whatever the key.
    viewer {
      id
    }
    pictureShare(key: $key) {
      id
    }
  }
`;

const CANCEL_PICTURE_SHARE = /* GraphQL */ `
  mutation LegacyCancelPictureShare($id: ID!) {
    cancelPictureShare(input: { id: $id }) {
      deletedIds
      userErrors {
        code
        message
      }
    }
  }
`;

/** A picture share in the owner's list: the file's name, md5 and size as they last were. */
interface ListedPictureShare {
  sharer: string;
  md5: string;
  name: string;
  key: string;
  viewCount: number;
  createdAt: string;
  size: number;
}

/** Spec 001 §17 `/api/sharepic`: picture shares, whose key (`urlmd5`) opens the share page. */
export function sharePictureRoutes(executor: Executor, timeZone: string): Router {
  const router = Router();

  router.post(
    '/sharepic',
    ...legacyJsonBody,
    commandRoute({
      share: async (request, body) => {
        const result = await runOnNamedFile<{ pictureShare: { key: string } }>(
          executor,
          request,
          body,
          SHARE_PICTURE,
        );
        return result.ok
          ? { code: OK, urlmd5: result.data.pictureShare.key }
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
          pv: view.viewCount,
          time: legacyTime(view.createdAt, timeZone),
        };
      },
      normal: async (request, body) => {
        const page = pageWindow(body);
        if (!page) return BAD_INPUT_ANSWER;
        const result = await offsetPage(
          executor,
          request,
          { query: MY_PICTURE_SHARES },
          (data: { myPictureShares: ConnectionData<ListedPictureShare> }) => data.myPictureShares,
          page,
          bodyCredentials(body),
        );
        if (!result.ok) return { code: imageHostCode(result.code) };
        return listAnswer(
          result.data.totalCount,
          result.data.nodes.map((share) => ({
            user: share.sharer,
            filemd5: share.md5,
            file_name: share.name,
            urlmd5: share.key,
            pv: share.viewCount,
            create_time: legacyTime(share.createdAt, timeZone),
            size: share.size,
          })),
        );
      },
      cancel: async (request, body) => {
        const credentials = bodyCredentials(body);
        const found = await executor.run<{ pictureShare: { id: string } | null }>(
          request,
          { query: PICTURE_SHARE_ID, variables: { key: body.urlmd5 } },
          credentials,
        );
        if (!found.ok) return { code: imageHostCode(found.code) };
        if (!found.data.pictureShare) return { code: imageHostCode(ErrorCode.NOT_FOUND) };
        const result = await executor.mutate(
          request,
          { query: CANCEL_PICTURE_SHARE, variables: { id: found.data.pictureShare.id } },
          credentials,
        );
        return { code: result.ok ? OK : imageHostCode(result.code) };
      },
    }),
  );

  return router;
}
