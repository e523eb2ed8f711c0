/**
 * The soak's operation mix: what one connection may do next, each a request whose answer is checked.
 * An operation throws (with the status and body) on any HTTP status other than 200, a spec-001 `code`
 * other than 0, a GraphQL error or a user error: under a load that races nothing, each is a failure.
 */
import { createHash, randomInt } from 'node:crypto';
import type http from 'node:http';
import { UPLOAD_FILE, type ImageHostAccount, type SharedPicture } from './fixtures';
import { assertAnswer, multipartWithBytes, postStream, requestJson, type JsonResponse } from './http-client';
import { graphqlUpload, type GraphQLAnswer } from './picvault';
import type { ChildServer } from './processes';

/**
 * A file one connection made, in its account's top folder. Only that connection lists, shares or
 * deletes it, and every name is unique, so no two connections race for a file or a share's name.
 */
export interface OwnFile {
  name: string;
  md5: string;
  /** Known for files uploaded through GraphQL, whose answer names them. */
  id?: string;
  signedUrl?: string;
  shared: boolean;
}

/** What one connection works with: its own agent socket, account and files, and the seeded shares. */
export interface Connection {
  server: ChildServer;
  agent: http.Agent;
  account: ImageHostAccount;
  /** Every account's shared pictures, seeded before the load and never deleted. */
  seeds: SharedPicture[];
  ownFiles: OwnFile[];
  /** A name no file of any connection has had. */
  nextName(): string;
  /** The bytes of the next upload: new content or a repeat (which the server stores once). */
  nextContent(): Buffer;
}

export interface Operation {
  kind: string;
  weight: number;
  /** Whether the connection has what the operation needs (a file to delete, …); always when absent. */
  possible?: (connection: Connection) => boolean;
  /** True for the operations that shrink the store: the only ones taken once a connection holds enough. */
  removes?: boolean;
  run(connection: Connection): Promise<void>;
}

const TIMEOUT_MS = 30_000;

const pick = <T>(items: T[]): T => items[randomInt(items.length)];

/** A spec-001 answer must be `code: 0`: the doors answer HTTP 200 to nearly every failure. */
function assertDoorSuccess(doorPath: string, answer: JsonResponse): void {
  const code = (answer.body as { code?: unknown } | null)?.code;
  assertAnswer(answer.status === 200 && code === 0, doorPath, answer);
}

/** A spec-001 door call with the account's credentials. */
async function door(connection: Connection, doorPath: string, fields: Record<string, unknown>) {
  const { userName, imageHostToken } = connection.account;
  const answer = await requestJson(`${connection.server.url}${doorPath}`, {
    body: { user: userName, token: imageHostToken, ...fields },
    agent: connection.agent,
    timeoutMs: TIMEOUT_MS,
  });
  assertDoorSuccess(doorPath, answer);
}

/** A GraphQL operation with the account's session; no error, and no user error in any payload. */
async function graphql<Data>(
  connection: Connection,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Data> {
  const answer = await requestJson(`${connection.server.url}/graphql`, {
    body: { query, variables },
    headers: { authorization: `Bearer ${connection.account.session}` },
    agent: connection.agent,
    timeoutMs: TIMEOUT_MS,
  });
  const { data, errors } = answer.body as GraphQLAnswer<Record<string, unknown>>;
  const userErrors = Object.values(data ?? {}).flatMap(
    (payload) => (payload as { userErrors?: unknown[] } | null)?.userErrors ?? [],
  );
  assertAnswer(answer.status === 200 && !errors?.length && !!data && !userErrors.length, 'GraphQL', answer);
  return data as Data;
}

async function download(connection: Connection, url: string): Promise<void> {
  const answer = await requestJson(url, { agent: connection.agent, timeoutMs: TIMEOUT_MS });
  assertAnswer(answer.status === 200, `GET ${new URL(url).pathname}`, answer);
}

const filesWithIds = (connection: Connection) => connection.ownFiles.filter((file) => file.id);
const filesWithoutIds = (connection: Connection) => connection.ownFiles.filter((file) => !file.id);
const unsharedFiles = (connection: Connection) => connection.ownFiles.filter((file) => !file.shared);

function forget(connection: Connection, file: OwnFile): void {
  connection.ownFiles.splice(connection.ownFiles.indexOf(file), 1);
}

const LIST_PAGE = { start: 0, count: 10 };

export const OPERATIONS: Operation[] = [
  {
    kind: 'upload GraphQL uploadFile',
    weight: 7,
    async run(connection) {
      const picture = { name: connection.nextName(), content: connection.nextContent() };
      const { answer, payload } = await graphqlUpload<{
        file: { id: string; md5: string; download: { url: string } } | null;
        userErrors: unknown[];
      }>(
        connection.server,
        connection.account.session,
        UPLOAD_FILE,
        { name: picture.name },
        picture,
        connection.agent,
      );
      assertAnswer(!!payload?.file && !payload.userErrors.length, 'uploadFile', answer);
      const { id, md5, download } = payload!.file!;
      connection.ownFiles.push({ name: picture.name, md5, id, signedUrl: download.url, shared: false });
    },
  },
  {
    kind: 'upload /api/upload (form)',
    weight: 6,
    async run(connection) {
      const picture = { name: connection.nextName(), content: connection.nextContent() };
      const { userName, imageHostToken } = connection.account;
      const md5 = createHash('md5').update(picture.content).digest('hex');
      // The token must come before the file part; the server reads the rest while the bytes stream.
      const body = multipartWithBytes(
        { token: imageHostToken, user: userName, md5, size: String(picture.content.length) },
        { field: 'file', filename: picture.name, contentType: 'image/png', content: picture.content },
      );
      const answer = await postStream(
        `${connection.server.url}/api/upload`,
        { 'content-type': body.contentType },
        body.parts,
        body.length,
        TIMEOUT_MS,
        connection.agent,
      );
      assertDoorSuccess('/api/upload', answer);
      connection.ownFiles.push({ name: picture.name, md5, shared: false });
    },
  },
  {
    kind: 'instant upload /api/md5',
    weight: 6,
    async run(connection) {
      // Content the account has, or that a live public share holds: both may be copied.
      const source =
        connection.ownFiles.length && randomInt(2) ? pick(connection.ownFiles) : pick(connection.seeds);
      const name = connection.nextName();
      await door(connection, '/api/md5', { md5: source.md5, filename: name });
      connection.ownFiles.push({ name, md5: source.md5, shared: false });
    },
  },
  {
    kind: 'delete GraphQL deleteItems',
    weight: 8,
    removes: true,
    possible: (connection) => filesWithIds(connection).length > 0,
    async run(connection) {
      const file = pick(filesWithIds(connection));
      const { deleteItems } = await graphql<{ deleteItems: { deletedIds: string[] } }>(
        connection,
        `
          mutation ($id: ID!) {
            deleteItems(input: { ids: [$id] }) {
              deletedIds
              userErrors {
                code
                message
              }
            }
          }
        `,
        { id: file.id },
      );
      if (deleteItems.deletedIds.length !== 1)
        throw new Error(`deleteItems deleted ${JSON.stringify(deleteItems)}`);
      forget(connection, file);
    },
  },
  {
    kind: 'delete /api/dealfile?cmd=del',
    weight: 8,
    removes: true,
    possible: (connection) => filesWithoutIds(connection).length > 0,
    async run(connection) {
      const file = pick(filesWithoutIds(connection));
      await door(connection, '/api/dealfile?cmd=del', { md5: file.md5, filename: file.name });
      forget(connection, file);
    },
  },
  {
    kind: 'list GraphQL files(first: 10)',
    weight: 9,
    async run(connection) {
      const { files } = await graphql<{ files: { nodes: unknown[] } }>(
        connection,
        `
          {
            files(first: 10) {
              totalCount
              nodes {
                id
                name
                size
                md5
              }
              pageInfo {
                hasNextPage
                endCursor
              }
            }
          }
        `,
      );
      if (!Array.isArray(files.nodes)) throw new Error(`files answered ${JSON.stringify(files)}`);
    },
  },
  {
    kind: 'list /api/myfiles?cmd=normal',
    weight: 8,
    run: (connection) => door(connection, '/api/myfiles?cmd=normal', LIST_PAGE),
  },
  {
    kind: 'share GraphQL shareFile',
    weight: 3,
    possible: (connection) => unsharedFiles(connection).some((file) => file.id),
    async run(connection) {
      const file = pick(unsharedFiles(connection).filter((candidate) => candidate.id));
      await graphql(
        connection,
        `
          mutation ($id: ID!) {
            shareFile(input: { fileId: $id }) {
              share {
                id
                url
              }
              userErrors {
                code
                message
              }
            }
          }
        `,
        { id: file.id },
      );
      file.shared = true;
    },
  },
  {
    kind: 'share /api/dealfile?cmd=share',
    weight: 3,
    possible: (connection) => unsharedFiles(connection).length > 0,
    async run(connection) {
      const file = pick(unsharedFiles(connection));
      await door(connection, '/api/dealfile?cmd=share', { md5: file.md5, filename: file.name });
      file.shared = true;
    },
  },
  {
    kind: 'list /api/sharefiles?cmd=normal',
    weight: 5,
    run: (connection) => door(connection, '/api/sharefiles?cmd=normal', LIST_PAGE),
  },
  {
    kind: 'list /api/sharefiles?cmd=pvdesc',
    weight: 5,
    run: (connection) => door(connection, '/api/sharefiles?cmd=pvdesc', LIST_PAGE),
  },
  {
    kind: 'download public /s/…',
    weight: 7,
    run: (connection) => download(connection, pick(connection.seeds).shareUrl),
  },
  {
    kind: 'download public /p/…',
    weight: 7,
    run: (connection) => download(connection, pick(connection.seeds).pictureUrl),
  },
  {
    kind: 'download signed /files/…',
    weight: 8,
    async run(connection) {
      const own = connection.ownFiles.filter((file) => file.signedUrl);
      const url = own.length && randomInt(2) ? pick(own).signedUrl! : pick(connection.seeds).signedUrl;
      await download(connection, url);
    },
  },
  {
    kind: 'count /api/dealsharefile?cmd=pv',
    weight: 5,
    async run(connection) {
      const seed = pick(connection.seeds);
      await door(connection, '/api/dealsharefile?cmd=pv', { md5: seed.md5, filename: seed.name });
    },
  },
  {
    kind: 'count GraphQL recordShareDownload',
    weight: 5,
    async run(connection) {
      const { recordShareDownload } = await graphql<{ recordShareDownload: { counted: boolean } }>(
        connection,
        `
          mutation ($id: ID!) {
            recordShareDownload(input: { id: $id }) {
              counted
              share {
                downloadCount
              }
              userErrors {
                code
                message
              }
            }
          }
        `,
        { id: pick(connection.seeds).shareId },
      );
      // The soak lifts COUNT_LIMIT_PER_MINUTE: a call that did not count was limited by mistake.
      if (!recordShareDownload.counted)
        throw new Error(`not counted: ${JSON.stringify(recordShareDownload)}`);
    },
  },
];

/**
 * The files a connection may hold before it only deletes: keeps the store from only growing, and
 * every connection's list of its own files short.
 */
const MOST_OWN_FILES = 20;

/** SOAK_ONLY: a pattern of the kinds to run (others are left out), to find which one misbehaves. */
const only = new RegExp(process.env.SOAK_ONLY ?? '', 'i');
const chosen = OPERATIONS.filter((operation) => only.test(operation.kind));

/** The next operation, drawn by weight among those chosen and possible for the connection. */
export function nextOperation(connection: Connection): Operation {
  const possible = chosen.filter((operation) => operation.possible?.(connection) ?? true);
  const removing = possible.filter((operation) => operation.removes);
  // Without a delete among the chosen kinds (SOAK_ONLY), files pile up as they would.
  const candidates = connection.ownFiles.length >= MOST_OWN_FILES && removing.length ? removing : possible;
  if (!candidates.length) throw new Error(`SOAK_ONLY=${only.source} leaves nothing to run`);
  const total = candidates.reduce((sum, operation) => sum + operation.weight, 0);
  let draw = randomInt(total);
  for (const operation of candidates) {
    draw -= operation.weight;
    if (draw < 0) return operation;
  }
  return candidates[candidates.length - 1];
}
