import { Router } from 'express';
import type { Executor } from '../execute';
import { imageHostCode, OK } from './codes';
import { BAD_INPUT_ANSWER, commandRoute, type LegacyCommand } from './commands';
import { bodyCredentials } from './credentials';
import { legacyJsonBody } from './json';
import { legacyFileType, legacyTime, listAnswer, pageWindow } from './list-format';
import { namedFileCommand } from './named-file';
import { shareFileCommand } from './shares.routes';

const INSTANT_UPLOAD = /* GraphQL */ `
  mutation LegacyInstantUpload($md5: String!, $name: String!) {
    instantUpload(md5: $md5, name: $name, folder: "/") {
      id
    }
  }
`;

const FILE_COUNT = /* GraphQL */ `
  query LegacyFileCount {
    files(folder: "/", recursive: true, kind: FILE, limit: 1) {
      totalCount
    }
  }
`;

const FILE_LIST = /* GraphQL */ `
  query LegacyFileList($orderBy: NodeOrder!, $offset: Int!, $limit: Int!) {
    me {
      userName
    }
    files(folder: "/", recursive: true, kind: FILE, orderBy: $orderBy, offset: $offset, limit: $limit) {
      totalCount
      nodes {
        name
        md5
        size
        pv
        createdAt
        url
        shared
      }
    }
  }
`;

const DELETE_NODE = /* GraphQL */ `
  mutation LegacyDeleteFile($id: ID!) {
    deleteNode(id: $id)
  }
`;

const RECORD_DOWNLOAD = /* GraphQL */ `
  mutation LegacyRecordDownload($id: ID!) {
    recordDownload(id: $id) {
      pv
    }
  }
`;

interface ListedFile {
  name: string;
  md5: string;
  size: number;
  pv: number;
  createdAt: string;
  url: string;
  shared: boolean;
}

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
    const result = await executor.run(
      request,
      { query: INSTANT_UPLOAD, variables: { md5: body.md5, name } },
      bodyCredentials(body),
    );
    response.json({ code: result.ok ? OK : imageHostCode(result.code) });
  });

  const listFiles =
    (orderBy: 'CREATED' | 'PV_ASC' | 'PV_DESC'): LegacyCommand =>
    async (request, body) => {
      const page = pageWindow(body);
      if (!page) return BAD_INPUT_ANSWER;
      const result = await executor.run<{
        me: { userName: string };
        files: { totalCount: number; nodes: ListedFile[] };
      }>(request, { query: FILE_LIST, variables: { orderBy, ...page } }, bodyCredentials(body));
      if (!result.ok) return { code: imageHostCode(result.code, 'myfiles') };
      const { me, files } = result.data;
      return listAnswer(
        files.totalCount,
        files.nodes.map((file) => ({
          user: me.userName,
          md5: file.md5,
          create_time: legacyTime(file.createdAt, timeZone),
          file_name: file.name,
          share_status: file.shared ? 1 : 0,
          pv: file.pv,
          url: file.url,
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
      normal: listFiles('CREATED'),
      pvasc: listFiles('PV_ASC'),
      pvdesc: listFiles('PV_DESC'),
    }),
  );

  router.post(
    '/dealfile',
    ...legacyJsonBody,
    commandRoute({
      del: namedFileCommand(executor, DELETE_NODE),
      pv: namedFileCommand(executor, RECORD_DOWNLOAD),
      share: shareFileCommand(executor),
    }),
  );

  return router;
}
