import type { Request } from 'express';
import type { Executor, OperationResult } from '../execute';
import { imageHostCode, OK } from './codes';
import type { LegacyCommand } from './commands';
import { bodyCredentials } from './credentials';

const FIND_FILE = /* GraphQL */ `
  query LegacyFindFile($md5: String!, $name: String!) {
    findFile(md5: $md5, name: $name, folder: "/") {
      id
    }
  }
`;

/**
 * Spec 001 names a file by the body's `md5` and `filename` in the caller's root folder: finds it, then
 * runs `mutation` with its id as `$id`. Both steps run for the body's `token` and `user`.
 */
export async function runOnNamedFile<Data>(
  executor: Executor,
  request: Request,
  body: Record<string, unknown>,
  mutation: string,
): Promise<OperationResult<Data>> {
  const credentials = bodyCredentials(body);
  const found = await executor.run<{ findFile: { id: string } }>(
    request,
    { query: FIND_FILE, variables: { md5: body.md5, name: body.filename } },
    credentials,
  );
  if (!found.ok) return found;
  return executor.run<Data>(
    request,
    { query: mutation, variables: { id: found.data.findFile.id } },
    credentials,
  );
}

/** A command that runs `mutation` on the named file and answers only its code. */
export function namedFileCommand(executor: Executor, mutation: string): LegacyCommand {
  return async (request, body) => {
    const result = await runOnNamedFile(executor, request, body, mutation);
    return { code: result.ok ? OK : imageHostCode(result.code) };
  };
}
