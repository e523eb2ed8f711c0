import { Router } from 'express';
import { failureOf, type Executor, type UserError } from '../execute';
import { offsetPage } from '../offset-page';
import { imageHostCode, OK } from './codes';
import { BAD_INPUT_ANSWER, commandRoute, type LegacyCommand } from './commands';
import { bodyCredentials } from './credentials';
import { legacyJsonBody } from './json';
import { legacyFileType, legacyTime, listAnswer, pageWindow } from './list-format';
import { namedFileCommand, runOnNamedFile } from './named-file';
import { shareFileCommand } from './shares.routes';

const INSTANT_UPLOAD = /* GraphQL */ `
  mutation LegacyInstantUpload($md5: String!, $name: String!) {
    instantUpload(input: { md5: $md5, name: $name, folder: "/" }) {
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

const FILE_COUNT = /* GraphQL */ `
  query LegacyFileCount {
    files(folder: "/", recursive: true, first: 0) {
      totalCount
    }
  }
`;

const FILE_LIST = /* GraphQL */ `
  query LegacyFileList(
    $orderBy: DriveItemOrder!
    $first: Int!
    $after: String
    $withTotal: Boolean!
    $withNodes: Boolean!
  ) {
    viewer {
      userName
    }
    files(folder: "/", recursive: true, orderBy: $orderBy, first: $first, after: $after) {
      totalCount @include(if: $withTotal)
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes @include(if: $withNodes) {
        name
        md5
        size
        downloadCount
        createdAt
        download {
          url
        }
        share {
          id
        }
      }
    }
  }
`;

const DELETE_ITEM = /* GraphQL */ `
  mutation LegacyDeleteFile($id: ID!) {
    deleteItems(input: { ids: [$id] }) {
      deletedIds
      userErrors {
        code
        message
      }
      results {
        userErrors {
          code
          message
        }
      }
    }
  }
`;

const RECORD_DOWNLOAD = /* GraphQL */ `
  mutation LegacyRecordDownload($id: ID!) {
    recordFileDownload(input: { id: $id }) {
      file {
        downloadCount
      }
      userErrors {
        code
        message
      }
    }
  }
`;

interface ListedFile {
  name: string;
  md5: string;
  size: number;
  downloadCount: number;
  createdAt: string;
  download: { url: string };
  share: { id: string } | null;
}

interface DeletedItems {
  results: { userErrors: UserError[] }[];
}

interface FileList {
  viewer: { userName: string };
  files: {
    totalCount?: number;
    nodes?: ListedFile[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

/** The order of each spec-001 list command: `normal` newest first, `pvasc`/`pvdesc` by downloads. */
const LIST_ORDERS = {
  normal: { field: 'CREATED_AT', direction: 'DESC' },
  pvasc: { field: 'DOWNLOADS', direction: 'ASC' },
  pvdesc: { field: 'DOWNLOADS', direction: 'DESC' },
} as const;

/**
 * Spec 001 §3–6 `/api/myfiles`, §10–11 `/api/dealfile` and §16 `/api/md5`. `timeZone` is the IANA
 * zone of the `create_time` strings.
 */
export function fileRoutes(executor: Executor, timeZone: string): Router {
  const router = Router();

  router.post('/md5', ...legacyJsonBody, async (request, response) => {
    const body = request.body as Record<string, unknown>;
    // The spec's table says `filename`, its example `fileName`: clients send either (LEGACY-NOTES.md).
    const name = body.filename ?? body.fileName;
    const result = await executor.mutate(
      request,
      { query: INSTANT_UPLOAD, variables: { md5: body.md5, name } },
      bodyCredentials(body),
    );
    response.json({ code: result.ok ? OK : imageHostCode(result.code) });
  });

  const listFiles =
    (order: keyof typeof LIST_ORDERS): LegacyCommand =>
    async (request, body) => {
      const page = pageWindow(body);
      if (!page) return BAD_INPUT_ANSWER;
      const result = await offsetPage(
        executor,
        request,
        { query: FILE_LIST, variables: { orderBy: LIST_ORDERS[order] } },
        (data: FileList) => data.files,
        page,
        bodyCredentials(body),
      );
      if (!result.ok) return { code: imageHostCode(result.code, 'myfiles') };
      const { data, totalCount, nodes } = result.data;
      return listAnswer(
        totalCount,
        nodes.map((file) => ({
          user: data.viewer.userName,
          md5: file.md5,
          create_time: legacyTime(file.createdAt, timeZone),
          file_name: file.name,
          share_status: file.share ? 1 : 0,
          pv: file.downloadCount,
          url: file.download.url,
          size: file.size,
          type: legacyFileType(file.name),
        })),
      );
    };

  router.post(
    '/myfiles',
    ...legacyJsonBody,
    commandRoute({
      count: async (request, body) => {
        const result = await executor.run<{ files: { totalCount: number } }>(
          request,
          { query: FILE_COUNT },
          bodyCredentials(body),
        );
        return result.ok
          ? { code: OK, total: result.data.files.totalCount }
          : { code: imageHostCode(result.code, 'myfiles') };
      },
      normal: listFiles('normal'),
      pvasc: listFiles('pvasc'),
      pvdesc: listFiles('pvdesc'),
    }),
  );

  router.post(
    '/dealfile',
    ...legacyJsonBody,
    commandRoute({
      del: async (request, body) => {
        const result = await runOnNamedFile<DeletedItems>(executor, request, body, DELETE_ITEM);
        if (!result.ok) return { code: imageHostCode(result.code) };
        // A batch of one: the item's own result says why it was not deleted.
        const [failure] = result.data.results[0].userErrors;
        return { code: failure ? imageHostCode(failureOf(failure).code) : OK };
      },
      pv: namedFileCommand(executor, RECORD_DOWNLOAD),
      share: shareFileCommand(executor),
    }),
  );

  return router;
}
