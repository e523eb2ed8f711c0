import { signUp, type TestUser } from '../helpers/accounts';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * Plain JSON operations are answered by the app's own runner, everything else by Apollo: whichever
 * answers, a client must get the same status and the same body. Asking for
 * `application/graphql-response+json` sends the very same request to Apollo.
 */
let app: TestApp;
let alice: TestUser;
beforeAll(async () => {
  app = await startTestApp();
  alice = await signUp(app);
});
afterAll(() => app.close());

type Answer = { errors?: { extensions?: Record<string, unknown> }[] };

const withoutRequestIds = (body: Answer) => ({
  ...body,
  ...(body.errors
    ? {
        errors: body.errors.map((error) => ({
          ...error,
          extensions: { ...error.extensions, requestId: 'id' },
        })),
      }
    : {}),
});

async function post(body: unknown, accept: string, token?: string) {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: withoutRequestIds((await response.json()) as Answer) };
}

const cases: [string, unknown, boolean][] = [
  ['a query that succeeds', { query: '{ me { userName } }' }, true],
  ['a field that needs a session, signed out', { query: '{ me { userName } }' }, false],
  ['a syntax error', { query: '{ me { userName }' }, true],
  ['an unknown field', { query: '{ me { shoeSize } }' }, true],
  [
    'a variable of the wrong type',
    { query: 'query ($first: Int) { files(first: $first) { totalCount } }', variables: { first: 'ten' } },
    true,
  ],
  [
    'a missing required variable',
    { query: 'query ($key: String!) { pictureShare(key: $key) { key } }' },
    true,
  ],
  [
    'an unknown operation name',
    { query: 'query A { me { userName } } query B { me { nickName } }', operationName: 'C' },
    true,
  ],
  ['two operations and no name', { query: 'query A { me { userName } } query B { me { nickName } }' }, true],
  [
    'a NUL in the variables',
    { query: 'query ($key: String!) { pictureShare(key: $key) { key } }', variables: { key: 'a\u0000b' } },
    true,
  ],
  [
    'a page past the cost limit',
    { query: '{ files(first: 100) { nodes { id share { id } pictureShare { id } } } }' },
    true,
  ],
  ['too deep', { query: `{ me ${'{ files { nodes { folder '.repeat(6)}{ id }${' } } }'.repeat(6)} }` }, true],
];

describe('POST /graphql answers the same through the JSON path and through Apollo', () => {
  it.each(cases)('%s', async (_label, body, signedIn) => {
    const token = signedIn ? alice.token : undefined;
    const viaRunner = await post(body, 'application/json', token);
    const viaApollo = await post(body, 'application/graphql-response+json', token);
    expect(viaRunner).toEqual(viaApollo);
  });

  it('answers 400 with BAD_USER_INPUT for a request refused before it ran, 200 with data otherwise', async () => {
    expect(await post({ query: '{ me { userName }' }, 'application/json', alice.token)).toMatchObject({
      status: 400,
      body: { errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] },
    });
    expect(await post({ query: '{ me { userName } }' }, 'application/json', alice.token)).toEqual({
      status: 200,
      body: { data: { me: { userName: alice.userName } } },
    });
  });
});
