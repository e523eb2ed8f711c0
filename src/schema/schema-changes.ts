import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildSchema, findBreakingChanges, findDangerousChanges, type GraphQLSchema } from 'graphql';

/** The schemas of releases, `<version>.graphql`: the newest is what the current schema is compared to. */
export const SCHEMA_HISTORY = path.resolve(__dirname, '../../schema-history');
export const CHANGELOG = path.resolve(__dirname, '../../CHANGELOG.md');

const semver = (file: string) =>
  file
    .replace(/\.graphql$/, '')
    .split('.')
    .map(Number);

/** The schema of the newest release, and its version. */
export async function releasedSchema(): Promise<{ version: string; schema: GraphQLSchema }> {
  const files = (await readdir(SCHEMA_HISTORY)).filter((file) => /^\d+\.\d+\.\d+\.graphql$/.test(file));
  const [newest] = files.sort((a, b) => {
    const [x, y] = [semver(a), semver(b)];
    return y[0] - x[0] || y[1] - x[1] || y[2] - x[2];
  });
  if (!newest) throw new Error(`No released schema in ${SCHEMA_HISTORY}`);
  const sdl = await readFile(path.join(SCHEMA_HISTORY, newest), 'utf8');
  return { version: newest.replace(/\.graphql$/, ''), schema: buildSchema(sdl) };
}

/**
 * The breaking and dangerous changes (graphql-js's judgement) from the newest release to `current`
 * that CHANGELOG.md does not record: each must appear there word for word, as a list item.
 */
export async function unrecordedChanges(current: GraphQLSchema, changelog?: string): Promise<string[]> {
  const { schema } = await releasedSchema();
  changelog ??= await readFile(CHANGELOG, 'utf8');
  const recorded = new Set(
    changelog
      .split('\n')
      .map((line) => /^\s*- (.*)$/.exec(line)?.[1]?.trim())
      .filter((item): item is string => Boolean(item)),
  );
  return [...findBreakingChanges(schema, current), ...findDangerousChanges(schema, current)]
    .map((change) => change.description)
    .filter((description) => !recorded.has(description));
}
