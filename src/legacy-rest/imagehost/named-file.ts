import type { Request } from 'express';
import type { Executor, OperationResult } from '../execute';
import { ErrorCode } from '../../schema/error-code';
import { imageHostCode, OK } from './codes';
import type { LegacyCommand } from './commands';
import { bodyCredentials } from './credentials';

const FILE_BY_CONTENT = /* GraphQL */ `
  query LegacyFileByContent($md5: String!, $name: String!) {
    fileByContent(md5: $md5, name: $name, folder: "/") {
      id
      share {
        id
      }
    }
  }
`;

/** A file of the caller's as spec 001 names it, with its share if it has one. */
export interface NamedFile {
  id: string;
  share: { id: string } | null;
}

/** The caller's file named by the body's `md5` and `filename` in their root folder. */
export async function findNamedFile(
  executor: Executor,
  request: Request,
  body: Record<string, unknown>,
): Promise<OperationResult<NamedFile>> {
  const found = await executor.run<{ fileByContent: NamedFile | null }>(
    request,
    { query: FILE_BY_CONTENT, variables: { md5: body.md5, name: body.filename } },
    bodyCredentials(body),
  );
  if (!found.ok) return found;
  const file = found.data.fileByContent;
  return file
    ? { ok: true, data: file }
    : { ok: false, code: ErrorCode.NOT_FOUND, message: 'File not found' };
}

/**
 * Spec 001 names a file by the body's `md5` and `filename` in the caller's root folder: finds it, then
 * runs the one-field `mutation` with its id as `$id`. Both steps run for the body's `token` and `user`.
 */
export async function runOnNamedFile<Payload>(
  executor: Executor,
  request: Request,
  body: Record<string, unknown>,
  mutation: string,
): Promise<OperationResult<Payload>> {
  const found = await findNamedFile(executor, request, body);
  if (!found.ok) return found;
  return executor.mutate<Payload>(
    request,
    { query: mutation, variables: { id: found.data.id } },
    bodyCredentials(body),
  );
}

/** A command that runs `mutation` on the named file and answers only its code. */
export function namedFileCommand(executor: Executor, mutation: string): LegacyCommand {
  return async (request, body) => {
    const result = await runOnNamedFile(executor, request, body, mutation);
    return { code: result.ok ? OK : imageHostCode(result.code) };
  };
}
