import { fromGlobalId } from '../../src/schema/global-id';
import { signUp, type TestUser } from '../helpers/accounts';
import { deleteItem, uploadFile } from '../helpers/files';
import { graphql } from '../helpers/http';
import { tinyPng } from '../helpers/images';
import { STORAGE_AND_REDIS } from '../helpers/s3';
import { startTestApp, type TestApp } from '../helpers/test-app';

const SHARE_FILE = `mutation ($id: ID!) { shareFile(input: { fileId: $id }) { share { id url downloadCount } } }`;
const CANCEL_SHARE = `mutation ($id: ID!) { cancelShare(input: { id: $id }) { deletedIds } }`;
const SHARE_PICTURE = `mutation ($id: ID!) { sharePicture(input: { fileId: $id }) { pictureShare { id key url } } }`;
const CANCEL_PICTURE = `mutation ($id: ID!) { cancelPictureShare(input: { id: $id }) { deletedIds } }`;
const PICTURE_SHARE = `query ($key: String!) { pictureShare(key: $key) { viewCount } }`;

/** The row id behind a global id, for looking at the database. */
function localId(id: string): string {
  const decoded = fromGlobalId(id);
  if (!decoded) throw new Error(`${id} is not a global id`);
  return decoded.localId;
}

// Presigned redirects are for the owner's signed URLs: public URLs are still served here, cacheable.
const WITH_PRESIGN = [
  'on S3 with S3_PRESIGN=true',
  { storage: 's3', redis: true, env: { S3_PRESIGN: 'true' } },
] as const;

describe.each([...STORAGE_AND_REDIS, WITH_PRESIGN])('public share URLs %s', (_label, variant) => {
  let app: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    app = await startTestApp(variant);
    alice = await signUp(app);
  });
  afterAll(() => app.close());

  async function shareFile(name: string, bytes: Buffer | string) {
    const file = await uploadFile(app, alice.token, name, bytes);
    const shared = await graphql<{
      shareFile: { share: { id: string; url: string; downloadCount: number } };
    }>(app, SHARE_FILE, { id: file.id }, alice.token);
    return { file, share: shared.data!.shareFile.share };
  }

  async function sharePicture(name: string, bytes: Buffer) {
    const file = await uploadFile(app, alice.token, name, bytes);
    const shared = await graphql<{
      sharePicture: { pictureShare: { id: string; key: string; url: string } };
    }>(app, SHARE_PICTURE, { id: file.id }, alice.token);
    return { file, picture: shared.data!.sharePicture.pictureShare };
  }

  it('serves a shared file to anyone as an attachment, with ranges and safe headers, counting nothing', async () => {
    const { file, share } = await shareFile('résumé.txt', 'hello public world');

    const response = await fetch(share.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello public world');
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment;.*filename\*=UTF-8''r%C3%A9sum%C3%A9\.txt$/,
    );
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBe('sandbox');
    expect(response.headers.get('etag')).toBe(`"${file.sha256}"`);

    const ranged = await fetch(share.url, { headers: { range: 'bytes=6-11' } });
    expect(ranged.status).toBe(206);
    expect(await ranged.text()).toBe('public');
    const head = await fetch(share.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String('hello public world'.length));

    const [row] = await app.dataSource.query<{ pv: number }[]>(`SELECT pv FROM shares WHERE id = $1`, [
      localId(share.id),
    ]);
    expect(row.pv).toBe(0);
  });

  it('serves a shared image inline', async () => {
    const png = tinyPng(2, 2);
    const { share } = await shareFile('shared.png', png);
    const response = await fetch(share.url);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('content-disposition')).toMatch(/^inline;/);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(png);
  });

  it('stops serving a shared file the moment the share is cancelled or the file deleted', async () => {
    const cancelled = await shareFile('cancelled.txt', 'cancelled soon');
    const deleted = await shareFile('deleted.txt', 'deleted soon');
    expect((await fetch(cancelled.share.url)).status).toBe(200);
    expect((await fetch(deleted.share.url)).status).toBe(200);

    const cancelling = await graphql(app, CANCEL_SHARE, { id: cancelled.share.id }, alice.token);
    expect(cancelling.data).toEqual({ cancelShare: { deletedIds: [cancelled.share.id] } });
    await deleteItem(app, alice.token, deleted.file.id);

    expect((await fetch(cancelled.share.url)).status).toBe(404);
    expect((await fetch(deleted.share.url)).status).toBe(404);
    expect((await fetch(deleted.share.url, { method: 'HEAD' })).status).toBe(404);
  });

  it('answers 404 for unknown and malformed share ids', async () => {
    for (const path of ['/s/00000000-0000-0000-0000-000000000000/x.txt', '/s/nope/x.txt', "/s/1'--/x"]) {
      expect((await fetch(`${app.url}${path}`)).status).toBe(404);
    }
  });

  it('serves a picture share inline, without counting a view', async () => {
    const png = tinyPng(3, 3);
    const { picture } = await sharePicture('picture.png', png);

    const response = await fetch(picture.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('content-disposition')).toMatch(/^inline;/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBe('sandbox');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(png);
    expect((await fetch(picture.url, { method: 'HEAD' })).status).toBe(200);

    const read = await graphql<{ pictureShare: { viewCount: number } }>(app, PICTURE_SHARE, {
      key: picture.key,
    });
    expect(read.data?.pictureShare.viewCount).toBe(0);
  });

  it('lets shared and picture URLs be cached publicly for a minute, revalidated by ETag with a 304 and no body', async () => {
    const { share } = await shareFile('cached.txt', 'cache me');
    const { picture, file } = await sharePicture('cached.png', tinyPng(2, 5));
    for (const url of [share.url, picture.url]) {
      const first = await fetch(url);
      expect([url, first.headers.get('cache-control')]).toEqual([url, 'public, max-age=60']);
      const etag = first.headers.get('etag')!;
      const again = await fetch(url, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(etag);
      expect(await again.text()).toBe('');
    }
    // A signed download URL of the same file stays private.
    const signed = await fetch(file.download.url);
    expect(signed.headers.get('cache-control')).toBe('private, max-age=0, must-revalidate');
  });

  it('stops serving a picture share when it is cancelled or the file deleted', async () => {
    const cancelled = await sharePicture('p1.png', tinyPng(1, 3));
    const deleted = await sharePicture('p2.png', tinyPng(3, 1));

    expect((await fetch(cancelled.picture.url)).status).toBe(200);
    expect((await fetch(deleted.picture.url)).status).toBe(200);

    const cancelling = await graphql(app, CANCEL_PICTURE, { id: cancelled.picture.id }, alice.token);
    expect(cancelling.data).toEqual({ cancelPictureShare: { deletedIds: [cancelled.picture.id] } });
    await deleteItem(app, alice.token, deleted.file.id);

    expect((await fetch(cancelled.picture.url)).status).toBe(404);
    expect((await fetch(deleted.picture.url)).status).toBe(404);
    for (const key of ['0'.repeat(32), 'A'.repeat(32), 'short', '%27']) {
      expect((await fetch(`${app.url}/p/${key}`)).status).toBe(404);
    }
  });
});
