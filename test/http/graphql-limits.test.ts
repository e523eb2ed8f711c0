import { getIntrospectionQuery } from 'graphql';
import { md5, signUp, type TestUser } from '../helpers/accounts';
import { OPERATION_LIMITS } from '../../src/http/graphql-limits';
import { graphql, postJson, type GraphQLResponse } from '../helpers/http';
import { startTestApp, type TestApp } from '../helpers/test-app';

const aliased = (count: number, field: string) =>
  `{ ${Array.from({ length: count }, (_, index) => `a${index}: ${field}`).join(' ')} }`;

const codeOf = (answer: GraphQLResponse<unknown>) => answer.errors?.[0]?.extensions?.code;

/** Resolves how long `work` took, in milliseconds. */
async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

describe('GraphQL operation limits', () => {
  let app: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    app = await startTestApp();
    alice = await signUp(app);
  });
  afterAll(() => app.close());

  it('refuses 20 000 aliases of a cheap field in milliseconds, and the server stays responsive', async () => {
    const query = aliased(20_000, 'sharedFiles(first: 1) { totalCount }');
    expect(query.length).toBeGreaterThan(700_000);
    const health = fetch(`${app.url}/healthz`);
    const [answer, ms] = await timed(() => graphql(app, query));
    expect(answer.status).toBe(400);
    expect(['QUERY_TOO_COMPLEX', 'BAD_USER_INPUT']).toContain(codeOf(answer));
    expect(ms).toBeLessThan(1500);
    expect((await health).status).toBe(200);
  });

  it('refuses 1 000 aliases of the largest page before any of them runs', async () => {
    const [answer, ms] = await timed(() =>
      graphql(app, aliased(1000, 'sharedFiles(first: 100) { nodes { name md5 url sharer } }')),
    );
    expect(codeOf(answer)).toMatch(/QUERY_TOO_COMPLEX|BAD_USER_INPUT/);
    expect(answer.data).toBeUndefined();
    expect(ms).toBeLessThan(1500);
  });

  it('refuses more aliases than the limit with QUERY_TOO_COMPLEX, naming it', async () => {
    const names = Array.from({ length: 31 }, (_, index) => `a${index}: name`).join(' ');
    const answer = await graphql(app, `{ __type(name: "Query") { ${names} } }`);
    expect(answer.status).toBe(400);
    expect(codeOf(answer)).toBe('QUERY_TOO_COMPLEX');
    expect(answer.errors![0].message).toMatch(/Aliases limit of 30 exceeded/);
    const thirty = Array.from({ length: 30 }, (_, index) => `a${index}: name`).join(' ');
    expect((await graphql(app, `{ __type(name: "Query") { ${thirty} } }`)).errors).toBeUndefined();
  });

  it('refuses pages whose sizes, multiplied through what they select, cost too much', async () => {
    const fields = 'name md5 size downloadCount createdAt url sharer contentType';
    const cheap = await graphql(app, `{ sharedFiles(first: 100) { totalCount nodes { ${fields} } } }`);
    expect(cheap.errors).toBeUndefined();
    // A largest page costs 1 + 100 × (nodes: 1 + 8 fields): just enough aliases of it go over the limit.
    const pageCost = 1 + 100 * (1 + 8);
    const count = Math.floor(OPERATION_LIMITS.maxCost / pageCost) + 1;
    expect(count).toBeLessThanOrEqual(OPERATION_LIMITS.maxAliases);
    const pages = (size: string, aliases: number) =>
      `query ($n: Int!) { ${Array.from(
        { length: aliases },
        (_, index) => `p${index}: sharedFiles(${size}: $n) { nodes { ${fields} } }`,
      ).join(' ')} }`;
    const query = pages('first', count);
    const answer = await postJson(app, '/graphql', { query, variables: { n: 100 } });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ errors: [{ extensions: { code: 'QUERY_TOO_COMPLEX' } }] });
    expect(answer.body.data).toBeUndefined();
    // The same operation with smaller pages, as its variable says, is allowed.
    const small = await postJson(app, '/graphql', { query, variables: { n: 10 } });
    expect(small.status).toBe(200);
    expect(small.body.errors).toBeUndefined();
    // Costs are kept per document and variables: the large pages are refused again, the small allowed.
    for (const [n, status] of [
      [100, 400],
      [10, 200],
      [100, 400],
    ]) {
      expect([n, (await postJson(app, '/graphql', { query, variables: { n } })).status]).toEqual([n, status]);
    }
    // One alias fewer stays within the limit; `last` counts as `first` does.
    const fewer = await postJson(app, '/graphql', {
      query: pages('first', count - 1),
      variables: { n: 100 },
    });
    expect(fewer.body.errors).toBeUndefined();
    const backwards = await postJson(app, '/graphql', { query: pages('last', count), variables: { n: 100 } });
    expect(backwards.body).toMatchObject({ errors: [{ extensions: { code: 'QUERY_TOO_COMPLEX' } }] });
  });

  it('refuses more than one password check in an operation, and counts none of them', async () => {
    const logins = Array.from(
      { length: 100 },
      (_, index) =>
        `l${index}: login(input: { userName: "${alice.userName}", password: "guess ${index}" }) { token }`,
    ).join(' ');
    const [answer, ms] = await timed(() => graphql(app, `mutation { ${logins} }`));
    expect(codeOf(answer)).toBe('QUERY_TOO_COMPLEX');
    expect(ms).toBeLessThan(1000);

    const twice = await graphql(
      app,
      `mutation {
        login(input: { userName: "${alice.userName}", passwordMd5: "${md5(alice.password)}" }) { token }
        register(input: { userName: "someone", nickName: "x", password: "pw" }) { user { id } }
      }`,
    );
    expect(codeOf(twice)).toBe('QUERY_TOO_COMPLEX');
    // None of the refused attempts counted against the account: ten wrong passwords still may follow.
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const wrong = await postJson(app, '/api/login', { user: alice.userName, pwd: md5(`wrong ${attempt}`) });
      expect(wrong.body).toEqual({ code: 1 });
    }
    const right = await graphql(
      app,
      `mutation { login(input: { userName: "${alice.userName}", passwordMd5: "${md5('x')}" }) { token } }`,
    );
    expect(codeOf(right)).toBe('RATE_LIMITED');
  });

  it('refuses too many top-level fields, also when spelled through fragments', async () => {
    const fragments = Array.from(
      { length: 21 },
      (_, index) => `fragment F${index} on Query { a${index}: __typename }`,
    );
    const spreads = Array.from({ length: 21 }, (_, index) => `...F${index}`).join(' ');
    const answer = await graphql(app, `{ ${spreads} } ${fragments.join(' ')}`);
    expect(codeOf(answer)).toBe('QUERY_TOO_COMPLEX');
    expect(answer.errors!.map((error) => error.message).join(' ')).toMatch(/top-level fields/);
  });

  it('refuses a document deeper than the limit, but answers the playground’s introspection', async () => {
    const nested = (levels: number) => `${'ofType { '.repeat(levels)}name${' }'.repeat(levels)}`;
    const tooDeep = await graphql(app, `{ __type(name: "Query") { fields { type { ${nested(11)} } } } }`);
    expect(tooDeep.status).toBe(400);
    expect(codeOf(tooDeep)).toBe('QUERY_TOO_COMPLEX');
    expect(tooDeep.errors![0].message).toMatch(/depth limit of 12 exceeded/);
    expect(
      (await graphql(app, `{ __type(name: "Query") { fields { type { ${nested(8)} } } } }`)).errors,
    ).toBeUndefined();

    const introspection = await graphql<{ __schema: { types: unknown[] } }>(app, getIntrospectionQuery());
    expect(introspection.errors).toBeUndefined();
    expect(introspection.data!.__schema.types.length).toBeGreaterThan(10);
  });

  it('refuses a document of more tokens than the limit before parsing it all', async () => {
    const query = `{ viewer { ${'userName '.repeat(6000)}} }`;
    const [answer, ms] = await timed(() => graphql(app, query, {}, alice.token));
    expect(answer.status).toBe(400);
    expect(codeOf(answer)).toBe('BAD_USER_INPUT');
    expect(answer.errors![0].message).toMatch(/tokens/);
    expect(ms).toBeLessThan(1000);
  });
});
