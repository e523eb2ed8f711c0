import { Router } from 'express';
import type { Executor } from '../execute';
import { imageHostCode, OK } from './codes';
import { BAD_INPUT_ANSWER, commandRoute, type LegacyCommand } from './commands';
import { bodyCredentials } from './credentials';
import { legacyJsonBody } from './json';
import { legacyFileType, legacyTime, listAnswer, pageWindow } from './list-format';
import { namedFileCommand } from './named-file';

const SHARE_FILE = /* GraphQL */ `
  mutation LegacyShareFile($id: ID!) {
    shareFile(id: $id) {
      id
    }
  }
`;

const CANCEL_SHARE = /* GraphQL */ `
  mutation LegacyCancelShare($id: ID!) {
    cancelShare(id: $id)
  }
`;

const SHARED_FILE = /* GraphQL */ `
  query LegacySharedFile($md5: String!, $name: String!) {
    sharedFile(md5: $md5, name: $name) {
      id
    }
  }
`;

const SAVE_SHARED_FILE = /* GraphQL */ `
  mutation LegacySaveSharedFile($shareId: ID!) {
    saveSharedFile(shareId: $shareId, folder: "/") {
      id
    }
  }
`;

const RECORD_SHARED_DOWNLOAD = /* GraphQL */ `
  mutation LegacyRecordSharedDownload($shareId: ID!) {
    recordSharedDownload(shareId: $shareId) {
      pv
    }
  }
`;

const SHARED_FILE_COUNT = /* GraphQL */ `
  query LegacySharedFileCount {
    sharedFiles(offset: 0, limit: 1) {
      totalCount
    }
  }
`;

const SHARED_FILES = /* GraphQL */ `
  query LegacySharedFiles($offset: Int!, $limit: Int!) {
    sharedFiles(offset: $offset, limit: $limit) {
      totalCount
      shares {
        sharer
        md5
        createdAt
        name
        pv
        url
        size
      }
    }
  }
`;

const DOWNLOAD_RANKING = /* GraphQL */ `
  query LegacyDownloadRanking($offset: Int!, $limit: Int!) {
    downloadRanking(offset: $offset, limit: $limit) {
      totalCount
      entries {
        name
        pv
      }
    }
  }
`;

interface ListedShare {
  sharer: string;
  md5: string;
  createdAt: string;
  name: string;
  pv: number;
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
      const found = await executor.run<{ sharedFile: { id: string } }>(
        request,
        { query: SHARED_FILE, variables: { md5: body.md5, name: body.filename } },
        credentials,
      );
      if (!found.ok) return { code: imageHostCode(found.code) };
      const result = await executor.run(
        request,
        { query: mutation, variables: { shareId: found.data.sharedFile.id } },
        credentials,
      );
      return { code: result.ok ? OK : imageHostCode(result.code) };
    };

  router.post(
    '/dealsharefile',
    ...legacyJsonBody,
    commandRoute({
      // §12 lists no token, but cancelling changes an account, so it takes one (ARCHITECTURE.md, "Identity").
      cancel: namedFileCommand(executor, CANCEL_SHARE),
      save: onSharedFile(SAVE_SHARED_FILE),
      pv: onSharedFile(RECORD_SHARED_DOWNLOAD),
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
      const result = await executor.run<{ sharedFiles: { totalCount: number; shares: ListedShare[] } }>(
        request,
        { query: SHARED_FILES, variables: { ...page } },
      );
      if (!result.ok) return { code: imageHostCode(result.code) };
      const { totalCount, shares } = result.data.sharedFiles;
      return listAnswer(
        totalCount,
        shares.map((share) => ({
          user: share.sharer,
          md5: share.md5,
          create_time: legacyTime(share.createdAt, timeZone),
          file_name: share.name,
          share_status: 1,
          pv: share.pv,
          url: share.url,
          size: share.size,
          type: legacyFileType(share.name),
        })),
      );
    },
    pvdesc: async (request, body) => {
      const page = pageWindow(body);
      if (!page) return BAD_INPUT_ANSWER;
      const result = await executor.run<{
        downloadRanking: { totalCount: number; entries: { name: string; pv: number }[] };
      }>(request, { query: DOWNLOAD_RANKING, variables: { ...page } });
      if (!result.ok) return { code: imageHostCode(result.code) };
      const { totalCount, entries } = result.data.downloadRanking;
      return listAnswer(
        totalCount,
        entries.map((entry) => ({ filename: entry.name, pv: entry.pv })),
      );
    },
  });
  // §7 documents `count` as a GET; every other client POSTs, so both methods answer every command.
  router.get('/sharefiles', ...legacyJsonBody, sharedFiles);
  router.post('/sharefiles', ...legacyJsonBody, sharedFiles);

  return router;
}
