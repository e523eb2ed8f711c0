import { signUp, type TestUser } from '../helpers/accounts';
import { uploadFile } from '../helpers/files';
import { graphql, postJson } from '../helpers/http';
import { tinyPng } from '../helpers/images';
import { startTestApp, type TestApp } from '../helpers/test-app';

const NODE = `query ($id: ID!) { node(id: $id) { __typename id ... on DriveItem { path } } }`;
const SHARE_FILE = `mutation ($id: ID!) { shareFile(input: { fileId: $id }) { share { id } } }`;
const SHARE_PICTURE = `mutation ($id: ID!) { sharePicture(input: { fileId: $id }) { pictureShare { id key } } }`;
const CREATE_FOLDER = `mutation ($path: String!) { createFolder(input: { path: $path }) { folder { id } } }`;

describe('objects with global ids (Relay)', () => {
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    app = await startTestApp();
    alice = await signUp(app);
    bob = await signUp(app);
  });
  afterAll(() => app.close());

  const nodeAs = async (user: TestUser | null, id: string) =>
    (await graphql<{ node: { __typename: string; id: string } | null }>(app, NODE, { id }, user?.token)).data!
      .node;

  it('finds every kind of object again by its id, as the viewer may see it', async () => {
    const file = await uploadFile(app, alice.token, 'cat.png', tinyPng(3, 2), '/pets');
    const folder = await graphql<{ createFolder: { folder: { id: string } } }>(
      app,
      CREATE_FOLDER,
      { path: '/pets' },
      alice.token,
    );
    const share = await graphql<{ shareFile: { share: { id: string } } }>(
      app,
      SHARE_FILE,
      { id: file.id },
      alice.token,
    );
    const picture = await graphql<{ sharePicture: { pictureShare: { id: string } } }>(
      app,
      SHARE_PICTURE,
      { id: file.id },
      alice.token,
    );
    const viewer = await graphql<{ viewer: { id: string; sessions: { nodes: { id: string }[] } } }>(
      app,
      '{ viewer { id sessions { nodes { id } } } }',
      {},
      alice.token,
    );
    const ids = {
      File: file.id,
      Folder: folder.data!.createFolder.folder.id,
      Share: share.data!.shareFile.share.id,
      PictureShare: picture.data!.sharePicture.pictureShare.id,
      User: viewer.data!.viewer.id,
      Session: viewer.data!.viewer.sessions.nodes[0].id,
    };
    expect(new Set(Object.values(ids)).size).toBe(6);
    for (const [type, id] of Object.entries(ids)) {
      expect(await nodeAs(alice, id)).toMatchObject({ __typename: type, id });
    }
    // Only shares are public: everything else is its owner's alone.
    for (const [type, id] of Object.entries(ids)) {
      const seen = type === 'Share' ? { __typename: 'Share', id } : null;
      expect({ type, asBob: await nodeAs(bob, id) }).toEqual({ type, asBob: seen });
      expect({ type, anonymous: await nodeAs(null, id) }).toEqual({ type, anonymous: seen });
    }
  });

  it('answers null, not an error, for an unknown or malformed id, so its siblings still show', async () => {
    await uploadFile(app, alice.token, 'kept.txt', 'kept');
    const unknown = Buffer.from('File:00000000-0000-4000-8000-000000000000').toString('base64url');
    const answer = await graphql(
      app,
      `
        query ($unknown: ID!) {
          viewer {
            userName
          }
          files {
            totalCount
          }
          node(id: $unknown) {
            id
          }
          junk: node(id: "not an id") {
            id
          }
          fileByContent(md5: "00000000000000000000000000000000", name: "none") {
            id
          }
          shareByContent(md5: "00000000000000000000000000000000", name: "none") {
            id
          }
          pictureShare(key: "0123456789abcdef0123456789abcdef") {
            id
          }
        }
      `,
      { unknown },
      alice.token,
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toMatchObject({
      viewer: { userName: alice.userName },
      node: null,
      junk: null,
      fileByContent: null,
      shareByContent: null,
      pictureShare: null,
    });
  });

  it('answers nodes(ids:) in order, with null for what the viewer may not see', async () => {
    const mine = await uploadFile(app, alice.token, 'mine.txt', 'mine');
    const theirs = await uploadFile(app, bob.token, 'theirs.txt', 'theirs');
    const answer = await graphql<{ nodes: ({ id: string } | null)[] }>(
      app,
      `
        query ($ids: [ID!]!) {
          nodes(ids: $ids) {
            id
          }
        }
      `,
      { ids: [theirs.id, mine.id, 'junk'] },
      alice.token,
    );
    expect(answer.data!.nodes).toEqual([null, { id: mine.id }, null]);
  });

  it('does not mistake a folder for a file by the type its id names', async () => {
    const folder = await graphql<{ createFolder: { folder: { id: string } } }>(
      app,
      CREATE_FOLDER,
      { path: '/typed' },
      alice.token,
    );
    const localId = Buffer.from(folder.data!.createFolder.folder.id, 'base64url').toString().split(':')[1];
    const asFile = Buffer.from(`File:${localId}`).toString('base64url');
    expect(await nodeAs(alice, asFile)).toBeNull();
  });

  it('shows a file’s share and picture share, and a share’s file to its sharer only', async () => {
    const file = await uploadFile(app, alice.token, 'both.png', tinyPng(2, 2));
    const FILE_SHARES = `query ($id: ID!) { node(id: $id) { ... on File { share { id } pictureShare { key } } } }`;
    expect((await graphql(app, FILE_SHARES, { id: file.id }, alice.token)).data).toEqual({
      node: { share: null, pictureShare: null },
    });
    const share = (
      await graphql<{ shareFile: { share: { id: string } } }>(app, SHARE_FILE, { id: file.id }, alice.token)
    ).data!.shareFile.share;
    const picture = (
      await graphql<{ sharePicture: { pictureShare: { key: string } } }>(
        app,
        SHARE_PICTURE,
        { id: file.id },
        alice.token,
      )
    ).data!.sharePicture.pictureShare;
    expect((await graphql(app, FILE_SHARES, { id: file.id }, alice.token)).data).toEqual({
      node: { share: { id: share.id }, pictureShare: { key: picture.key } },
    });
    const SHARE_FILE_OF = `query ($id: ID!) { node(id: $id) { ... on Share { name file { id } } } }`;
    expect((await graphql(app, SHARE_FILE_OF, { id: share.id }, alice.token)).data).toEqual({
      node: { name: 'both.png', file: { id: file.id } },
    });
    expect((await graphql(app, SHARE_FILE_OF, { id: share.id }, bob.token)).data).toEqual({
      node: { name: 'both.png', file: null },
    });
  });

  it('lists the ranking as shares, with their ids', async () => {
    const file = await uploadFile(app, alice.token, 'ranked.txt', 'ranked');
    const share = (
      await graphql<{ shareFile: { share: { id: string } } }>(app, SHARE_FILE, { id: file.id }, alice.token)
    ).data!.shareFile.share;
    await postJson(app, '/api/dealsharefile?cmd=pv', { md5: file.md5, filename: 'ranked.txt' });
    const ranking = await graphql<{
      downloadRanking: { nodes: { id: string; name: string; downloadCount: number }[] };
    }>(app, '{ downloadRanking(first: 1) { nodes { __typename id name downloadCount } } }');
    expect(ranking.data!.downloadRanking.nodes).toEqual([
      { __typename: 'Share', id: share.id, name: 'ranked.txt', downloadCount: 1 },
    ]);
  });
});
