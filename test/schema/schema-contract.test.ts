import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isSpecifiedScalarType,
  type GraphQLSchema,
} from 'graphql';
import { buildAppSchema } from '../../src/schema/build-schema';
import { readFile } from 'node:fs/promises';
import { CHANGELOG, unrecordedChanges } from '../../src/schema/schema-changes';

/** Every named thing a client can see, with its description and deprecation, if any. */
function documentedParts(schema: GraphQLSchema) {
  const parts: { name: string; description: string | null | undefined; deprecation?: string | null }[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || isSpecifiedScalarType(type)) continue;
    parts.push({ name: type.name, description: type.description });
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        const name = `${type.name}.${field.name}`;
        parts.push({ name, description: field.description, deprecation: field.deprecationReason });
        for (const arg of field.args) {
          parts.push({
            name: `${name}(${arg.name})`,
            description: arg.description,
            deprecation: arg.deprecationReason,
          });
        }
      }
    }
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        parts.push({ name: `${type.name}.${field.name}`, description: field.description });
      }
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) {
        parts.push({
          name: `${type.name}.${value.name}`,
          description: value.description,
          deprecation: value.deprecationReason,
        });
      }
    }
  }
  return parts;
}

describe('the schema’s contract', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildAppSchema();
  });

  it('describes every type, field, argument, input field and enum value', () => {
    const undescribed = documentedParts(schema).filter((part) => !part.description?.trim());
    expect(undescribed.map((part) => part.name)).toEqual([]);
  });

  it('gives every deprecation the date the field goes away', () => {
    const deprecated = documentedParts(schema).filter((part) => part.deprecation);
    expect(deprecated.length).toBeGreaterThan(0);
    const undated = deprecated.filter((part) => !/Removal: \d{4}-\d{2}-\d{2}\./.test(part.deprecation!));
    expect(undated.map((part) => `${part.name}: ${part.deprecation}`)).toEqual([]);
  });

  it('records in CHANGELOG.md every breaking or dangerous change since the last release', async () => {
    expect(await unrecordedChanges(schema)).toEqual([]);
  });

  it('names a change CHANGELOG.md leaves out', async () => {
    const changelog = await readFile(CHANGELOG, 'utf8');
    const withoutOne = changelog.replace('- Query.file was removed.\n', '');
    expect(withoutOne).not.toBe(changelog);
    expect(await unrecordedChanges(schema, withoutOne)).toEqual(['Query.file was removed.']);
  });

  it('puts ErrorCode in the schema, for clients to generate types from', () => {
    expect(schema.getType('ErrorCode')).toBeDefined();
  });
});
