/** What a bench seeds through the public API before it measures: accounts, and pictures shared both ways. */
import { createHash } from 'node:crypto';
import { requestJson } from './http-client';
import { graphql, graphqlUpload, type FileInMemory } from './picvault';
import type { ChildServer } from './processes';

/** An account made through the spec-001 door, signed in there and through GraphQL. */
export interface ImageHostAccount {
  userName: string;
  /** The spec-001 door's token (`/api/login`). */
  imageHostToken: string;
  /** A GraphQL session's bearer token. */
  session: string;
}

/** Registers `userName` with `/api/reg` and signs in with `/api/login` and GraphQL `login`. */
export async function imageHostAccount(server: ChildServer, userName: string): Promise<ImageHostAccount> {
  // The spec-001 clients register and sign in with the md5 of the password, as their web client does.
  const pwd = createHash('md5').update(`${userName}-password`).digest('hex');
  const registered = await requestJson(`${server.url}/api/reg`, {
    body: { userName, nickName: userName, firstPwd: pwd },
  });
  if ((registered.body as { code?: number }).code !== 0) {
    throw new Error(`/api/reg failed: ${JSON.stringify(registered.body)}`);
  }
  const login = await requestJson(`${server.url}/api/login`, { body: { user: userName, pwd } });
  const imageHostToken = (login.body as { token?: string }).token;
  if (!imageHostToken) throw new Error(`/api/login failed: ${JSON.stringify(login.body)}`);
  const { login: session } = await graphql<{ login: { token: string | null } }>(
    server,
    `
      mutation ($input: LoginInput!) {
        login(input: $input) {
          token
        }
      }
    `,
    { input: { userName, passwordMd5: pwd } },
  );
  if (!session.token) throw new Error('GraphQL login failed');
  return { userName, imageHostToken, session: session.token };
}

export const UPLOAD_FILE = {
  field: 'uploadFile',
  query: `mutation ($input: UploadFileInput!) {
    uploadFile(input: $input) { file { id md5 download { url } } userErrors { code message } }
  }`,
};

/** A picture uploaded with `uploadFile`, then shared as a file (`/s/…`) and as a picture (`/p/…`). */
export interface SharedPicture {
  name: string;
  md5: string;
  shareId: string;
  /** `/p/<key>` */
  pictureUrl: string;
  /** `/s/<shareId>/<name>` */
  shareUrl: string;
  /** The owner's `/files/…?exp=&sig=` */
  signedUrl: string;
}

export async function uploadSharedPicture(
  server: ChildServer,
  session: string,
  picture: FileInMemory,
): Promise<SharedPicture> {
  const { answer, payload } = await graphqlUpload<{
    file: { id: string; md5: string; download: { url: string } } | null;
  }>(server, session, UPLOAD_FILE, { name: picture.name }, picture);
  if (!payload?.file) throw new Error(`uploadFile failed: ${JSON.stringify(answer.body).slice(0, 300)}`);
  const { sharePicture } = await graphql<{ sharePicture: { pictureShare: { url: string } | null } }>(
    server,
    `
      mutation ($id: ID!) {
        sharePicture(input: { fileId: $id }) {
          pictureShare {
            url
          }
        }
      }
    `,
    { id: payload.file.id },
    session,
  );
  const { shareFile } = await graphql<{ shareFile: { share: { id: string; url: string } | null } }>(
    server,
    `
      mutation ($id: ID!) {
        shareFile(input: { fileId: $id }) {
          share {
            id
            url
          }
        }
      }
    `,
    { id: payload.file.id },
    session,
  );
  if (!sharePicture.pictureShare || !shareFile.share) throw new Error('sharing the picture failed');
  return {
    name: picture.name,
    md5: payload.file.md5,
    shareId: shareFile.share.id,
    pictureUrl: sharePicture.pictureShare.url,
    shareUrl: shareFile.share.url,
    signedUrl: payload.file.download.url,
  };
}
