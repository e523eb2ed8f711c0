import { Router, type Request, type Response } from 'express';
import type { FileDownloads } from '../../http/file-downloads';
import { ErrorCode } from '../../schema/error-code';
import { failureOf, type Executor, type OperationResult, type UserError } from '../execute';
import { readFilePart } from '../multipart-file';
import { offsetPage, type ConnectionData } from '../offset-page';
import { discardRest, graphqlUpload } from '../upload-value';
import { failure, send, success } from './envelope';
import { netdiskParameters, parameter } from './parameters';

const ITEM = /* GraphQL */ `
  query NetdiskItem($path: String!) {
    item(path: $path) {
      __typename
      id
      ... on File {
        download {
          url
        }
      }
    }
  }
`;

const WHO_AM_I = /* GraphQL */ `
  query NetdiskUploader {
    viewer {
      userName
    }
  }
`;

const UPLOAD_FILE = /* GraphQL */ `
  mutation NetdiskUpload($file: Upload!, $folder: String!) {
    uploadFile(input: { file: $file, folder: $folder }) {
      file {
        path
      }
      userErrors {
        code
        message
      }
    }
  }
`;

const CREATE_FOLDER = /* GraphQL */ `
  mutation NetdiskCreateFolder($path: String!) {
    createFolder(input: { path: $path, failIfExists: true }) {
      folder {
        id
      }
      userErrors {
        code
        message
      }
    }
  }
`;

const DELETE_ITEM = /* GraphQL */ `
  mutation NetdiskDelete($id: ID!) {
    deleteItems(input: { ids: [$id] }) {
      results {
        userErrors {
          code
          message
        }
      }
      userErrors {
        code
        message
      }
    }
  }
`;

const RENAME_ITEM = /* GraphQL */ `
  mutation NetdiskRename($id: ID!, $name: String!) {
    renameItem(input: { id: $id, name: $name }) {
      item {
        id
      }
      userErrors {
        code
        message
      }
    }
  }
`;

/** A search of one kind (`files` or `folders`) in a subtree, paged as `offsetPage` reads it. */
const searchQuery = (
  connection: 'files' | 'folders',
  filterType: 'FileFilter' | 'FolderFilter',
) => /* GraphQL */ `
  query NetdiskSearch(
    $folder: String!
    $filter: ${filterType}!
    $first: Int!
    $after: String
    $withTotal: Boolean!
    $withNodes: Boolean!
  ) {
    ${connection}(folder: $folder, recursive: true, filter: $filter, first: $first, after: $after) {
      totalCount @include(if: $withTotal)
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes @include(if: $withNodes) {
        path
      }
    }
  }
`;

const SEARCH_FILES = searchQuery('files', 'FileFilter');
const SEARCH_FOLDERS = searchQuery('folders', 'FolderFilter');

/** The most matches of each kind a search answers: spec 003 has no pages for it. */
const MAX_MATCHES = 1000;

interface Item {
  __typename: 'File' | 'Folder';
  id: string;
  download?: { url: string };
}

/** The caller's file or folder at the request's `destination`; NOT_FOUND when there is none. */
async function itemAt(executor: Executor, request: Request): Promise<OperationResult<Item>> {
  const path = parameter(request, 'destination');
  if (!path) return { ok: false, code: ErrorCode.BAD_USER_INPUT, message: '缺少参数:destination' };
  const found = await executor.run<{ item: Item | null }>(request, { query: ITEM, variables: { path } });
  if (!found.ok) return found;
  return found.data.item
    ? { ok: true, data: found.data.item }
    : { ok: false, code: ErrorCode.NOT_FOUND, message: '' };
}

/** The paths of every match of one search query, up to MAX_MATCHES. */
async function matches(
  executor: Executor,
  request: Request,
  query: string,
  variables: Record<string, unknown>,
  connection: (data: Record<string, ConnectionData<{ path: string }>>) => ConnectionData<{ path: string }>,
): Promise<OperationResult<string[]>> {
  const result = await offsetPage(executor, request, { query, variables }, connection, {
    offset: 0,
    limit: MAX_MATCHES,
  });
  return result.ok ? { ok: true, data: result.data.nodes.map((node) => node.path) } : result;
}

/**
 * Spec 003 `/api/*` on files and folders: upload, download (ranges included), create a folder,
 * search, delete, rename. `destination` is a path such as `/photos/cat.png`.
 */
export function fileRoutes(executor: Executor, downloads: FileDownloads): Router {
  const router = Router();

  router.post('/uploadFile', async (request: Request, response: Response) => {
    const answer = (body: Parameters<typeof send>[1]) => {
      discardRest(request);
      send(response, body);
    };
    // A client without a session learns so before it sends the bytes.
    const uploader = await executor.run(request, { query: WHO_AM_I });
    if (!uploader.ok) return answer(failure(uploader));
    let part;
    try {
      part = await readFilePart(request, { limits: { files: 1, fields: 8, parts: 9, fieldSize: 4096 } });
    } catch {
      return answer(failure({ ok: false, code: ErrorCode.BAD_USER_INPUT, message: '表单里没有文件' }));
    }
    const folder = parameter(request, 'destination') ?? part.fieldsBefore.destination ?? '/';
    const result = await executor.mutate<{ file: { path: string } }>(request, {
      query: UPLOAD_FILE,
      variables: { file: graphqlUpload(part.filename, part.stream), folder },
    });
    answer(result.ok ? success('上传成功', { destination: result.data.file.path }) : failure(result));
  });

  router.get('/downloadFile', async (request, response) => {
    const found = await itemAt(executor, request);
    if (!found.ok) return send(response, failure(found));
    if (!found.data.download)
      return send(
        response,
        failure(
          { ok: false, code: ErrorCode.NOT_FOUND, message: '' },
          { [ErrorCode.NOT_FOUND]: '文件夹不能下载' },
        ),
      );
    await downloads.serveSignedUrl(request, response, found.data.download.url);
  });

  // Spec 003 documents this route at the download path by mistake (ARCHITECTURE.md, "Facade decisions").
  router.get('/createFolder', async (request, response) => {
    const result = await executor.mutate(request, {
      query: CREATE_FOLDER,
      variables: { path: parameter(request, 'destination') ?? '' },
    });
    send(
      response,
      result.ok
        ? success('文件夹创建成功')
        : failure(result, { [ErrorCode.NAME_TAKEN]: '同名文件或文件夹已经存在' }),
    );
  });

  router.get('/searchFile', async (request, response) => {
    const folder = parameter(request, 'destination') || '/';
    const nameContains = parameter(request, 'name') || null;
    const extension = parameter(request, 'type') || null;
    const files = await matches(
      executor,
      request,
      SEARCH_FILES,
      { folder, filter: { nameContains, extension } },
      (data) => data.files,
    );
    if (!files.ok) return send(response, failure(files));
    // A file type asks for files: folders have none.
    const directories = extension
      ? { ok: true as const, data: [] }
      : await matches(
          executor,
          request,
          SEARCH_FOLDERS,
          { folder, filter: { nameContains } },
          (data) => data.folders,
        );
    if (!directories.ok) return send(response, failure(directories));
    const found = files.data.length + directories.data.length > 0;
    send(
      response,
      success('', {
        file: files.data,
        code: found ? 200 : 300,
        message: found ? '已找到匹配的文件' : '没有找到匹配的文件',
        directory: directories.data,
      }),
    );
  });

  router.post('/deleteFile', ...netdiskParameters, async (request, response) => {
    const found = await itemAt(executor, request);
    if (!found.ok) return send(response, failure(found));
    const result = await executor.mutate<{ results: { userErrors: UserError[] }[] }>(request, {
      query: DELETE_ITEM,
      variables: { id: found.data.id },
    });
    if (!result.ok) return send(response, failure(result));
    const [itemError] = result.data.results[0].userErrors;
    send(response, itemError ? failure(failureOf(itemError)) : success('删除成功'));
  });

  router.all('/renameFile', ...netdiskParameters, async (request, response) => {
    const found = await itemAt(executor, request);
    if (!found.ok)
      return send(
        response,
        failure(found, { [ErrorCode.NOT_FOUND]: { code: 300, msg: '重命名目标不存在' } }),
      );
    const result = await executor.mutate(request, {
      query: RENAME_ITEM,
      variables: { id: found.data.id, name: parameter(request, 'name') ?? '' },
    });
    send(
      response,
      result.ok
        ? success('重命名成功')
        : failure(result, { [ErrorCode.NAME_TAKEN]: { code: 300, msg: '重复文件名扔上来搞毛？' } }),
    );
  });

  return router;
}
