import { readFile } from 'node:fs/promises';
import { printAppSchema, SCHEMA_FILE } from '../../src/schema/emit';

describe('schema.graphql', () => {
  it('matches the schema the code builds (run `npm run schema` after changing a type)', async () => {
    const committed = await readFile(SCHEMA_FILE, 'utf8');
    expect(committed).toBe(await printAppSchema());
  });
});
