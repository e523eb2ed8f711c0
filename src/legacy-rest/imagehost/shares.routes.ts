import { Router } from 'express';
import { ErrorCode } from '../../schema/error-code';
import type { Executor } from '../execute';
import { offsetPage, type ConnectionData } from '../offset-page';
import { imageHostCode, OK } from './codes';
import { BAD_INPUT_ANSWER, commandRoute, type LegacyCommand } from './commands';
import { bodyCredentials } from './credentials';
import { legacyJsonBody } from './json';
import { legacyFileType, legacyTime, listAnswer, pageWindow } from './list-format';
import { findNamedFile, namedFileCommand } from './named-file';

const SHARE_FILE = /* GraphQL */ `
  mutation LegacyShareFile($id: ID!) {
    shareFile(input: { fileId: $id }) {
      share {
        id
      }
      userErrors {
        code
        message
      }
    }
  }
`;

const CANCEL_SHARE = /* GraphQL */ `
  mutation LegacyCancelShare($id: ID!) {
    cancelShare(input: { id: $id }) {
      deletedIds
      userErrors {
        code
        message
      }
    }
  }
`;

const SHARE_BY_CONTENT = /* GraphQL */ `
  query LegacyShareByContent($md5: String!, $name: String!) {
    shareByContent(md5: $md5, name: $name) {
      id
    }
  }
`;

const SAVE_SHARED_FILE = /* GraphQL */ `
  mutation LegacySaveSharedFile($shareId: ID!) {
    saveSharedFile(input: { shareId: $shareId, folder: "/" }) {
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

const RECORD_SHARE_DOWNLOAD = /* GraphQL */ `
  mutation LegacyRecordShareDownload($shareId: ID!) {
    recordShareDownload(input: { id: $shareId }) {
      share {
        downloadCount
      }
      userErrors {
        code
        message
      }
    }
  }
`;

const SHARED_FILE_COUNT = /* GraphQL */ `
  query LegacySharedFileCount {
    sharedFiles(first: 0) {
      totalCount
    }
  }
`;

const SHARED_FILES = /* GraphQL */ `
  query LegacySharedFiles($first: Int!, $after: String, $withTotal: Boolean!, $withNodes: Boolean!) {
    sharedFiles(first: $first, after: $after) {
      totalCount @include(if: $withTotal)
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes @include(if: $withNodes) {
        sharer
        md5
        createdAt
        name
        downloadCount
        url
        size
      }
    }
  }
`;

const DOWNLOAD_RANKING = /* GraphQL */ `
  query LegacyDownloadRanking($first: Int!, $after: String, $withTotal: Boolean!, $withNodes: Boolean!) {
    downloadRanking(first: $first, after: $after) {
      totalCount @include(if: $withTotal)
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes @include(if: $withNodes) {
        name
        downloadCount
      }
    }
  }
`;

interface ListedShare {
  sharer: string;
  md5: string;
  createdAt: string;
  name: string;
  downloadCount: number;
  url: string;
  size: number;
}

/** Spec 001 §9 `dealfile?cmd=share`: 3 when anyone already shares the same `(md5, filename)`. */
export function shareFileCommand(executor: Executor): LegacyCommand {
  return namedFileCommand(executor, SHARE_FILE);
}

/**
 * Spec 001 §12–14 `/api/dealsharefile` and §7, 8, 15 `/api/sharefiles`. Public shares are named by
 * `(md5, filename)`, whoever shared them.
 */
export function shareRoutes(executor: Executor, timeZone: string): Router {
  const router = Router();

  /** Finds the public share named by the body, then runs `mutation` with its id as `$shareId`. */
  const onSharedFile =
    (mutation: string): LegacyCommand =>
    async (request, body) => {
      const credentials = bodyCredentials(body);
      const found = await executor.run<{ shareByContent: { id: string } | null }>(
        request,
        { query: SHARE_BY_CONTENT, variables: { md5: body.md5, name: body.filename } },
        credentials,
      );
      if (!found.ok) return { code: imageHostCode(found.code) };
      const share = found.data.shareByContent;
      if (!share) return { code: imageHostCode(ErrorCode.NOT_FOUND) };
      const result = await executor.mutate(
        request,
        { query: mutation, variables: { shareId: share.id } },
        credentials,
      );
      return { code: result.ok ? OK : imageHostCode(result.code) };
    };

  router.post(
    '/dealsharefile',
    ...legacyJsonBody,
    commandRoute({
      // §12 lists no token, but cancelling changes an account, so it takes one (ARCHITECTURE.md, "Identity").
      cancel: async (request, body) => {
        const found = await findNamedFile(executor, request, body);
        if (!found.ok) return { code: imageHostCode(found.code) };
        if (!found.data.share) return { code: imageHostCode(ErrorCode.NOT_FOUND) };
        const result = await executor.mutate(
          request,
          { query: CANCEL_SHARE, variables: { id: found.data.share.id } },
          bodyCredentials(body),
        );
        return { code: result.ok ? OK : imageHostCode(result.code) };
      },
      save: onSharedFile(SAVE_SHARED_FILE),
      pv: onSharedFile(RECORD_SHARE_DOWNLOAD),
    }),
  );

  const sharedFiles = commandRoute({
    count: async (request) => {
      const result = await executor.run<{ sharedFiles: { totalCount: number } }>(request, {
        query: SHARED_FILE_COUNT,
      });
      return result.ok
        ? { code: OK, total: result.data.sharedFiles.totalCount }
        : { code: imageHostCode(result.code) };
    },
    normal: async (request, body) => {
      const page = pageWindow(body);
      if (!page) return BAD_INPUT_ANSWER;
      const result = await offsetPage(
        executor,
        request,
        { query: SHARED_FILES },
        (data: { sharedFiles: ConnectionData<ListedShare> }) => data.sharedFiles,
        page,
      );
      if (!result.ok) return { code: imageHostCode(result.code) };
      return listAnswer(
        result.data.totalCount,
        result.data.nodes.map((share) => ({
          user: share.sharer,
          md5: share.md5,
          create_time: legacyTime(share.createdAt, timeZone),
          file_name: share.name,
          share_status: 1,
          pv: share.downloadCount,
          url: share.url,
          size: share.size,
          type: legacyFileType(share.name),
        })),
      );
    },
    pvdesc: async (request, body) => {
      const page = pageWindow(body);
      if (!page) return BAD_INPUT_ANSWER;
      const result = await offsetPage(
        executor,
        request,
        { query: DOWNLOAD_RANKING },
        (data: { downloadRanking: ConnectionData<{ name: string; downloadCount: number }> }) =>
          data.downloadRanking,
        page,
      );
      if (!result.ok) return { code: imageHostCode(result.code) };
      return listAnswer(
        result.data.totalCount,
        result.data.nodes.map((entry) => ({ filename: entry.name, pv: entry.downloadCount })),
      );
    },
  });
  // §7 documents `count` as a GET; every other client POSTs, so both methods answer every command.
  router.get('/sharefiles', ...legacyJsonBody, sharedFiles);
  router.post('/sharefiles', ...legacyJsonBody, sharedFiles);

  return router;
}
