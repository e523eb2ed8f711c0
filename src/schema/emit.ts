import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { printSchema } from 'graphql';
import { buildAppSchema } from './build-schema';
import { releasedSchema, unrecordedChanges } from './schema-changes';

export const SCHEMA_FILE = path.resolve(__dirname, '../../schema.graphql');

export async function printAppSchema(): Promise<string> {
  return `${printSchema(await buildAppSchema())}\n`;
}

/** Writes schema.graphql, and lists the breaking or dangerous changes CHANGELOG.md must still record. */
async function emit(): Promise<void> {
  await writeFile(SCHEMA_FILE, await printAppSchema());
  const unrecorded = await unrecordedChanges(await buildAppSchema());
  if (unrecorded.length === 0) return;
  const { version } = await releasedSchema();
  process.stdout.write(
    `Changes since ${version} that CHANGELOG.md does not record yet (add each as a list item):\n` +
      unrecorded.map((description) => `- ${description}\n`).join(''),
  );
}

if (require.main === module) void emit();
