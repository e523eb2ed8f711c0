import { createHash, randomBytes } from 'node:crypto';
import { signUp, type TestUser } from '../helpers/accounts';
import { withDatabase } from '../helpers/database';
import { graphql } from '../helpers/http';
import type { Reachable } from '../helpers/test-app';
import { uploadCode, uploadFile, type UploadedFile } from '../helpers/uploads';

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
export const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

/** The GraphQL calls the fault tests make, each failing loudly unless it succeeded. */
export class DriveClient {
  constructor(
    private readonly server: Reachable,
    readonly user: TestUser,
  ) {}

  static async signUp(server: Reachable): Promise<DriveClient> {
    return new DriveClient(server, await signUp(server));
  }

  async upload(bytes: Buffer, name: string, folder = '/'): Promise<UploadedFile> {
    const answer = await uploadFile(this.server, this.user.token, bytes, { name, folder });
    if (uploadCode(answer) !== 'OK') throw new Error(`upload of ${name} failed: ${JSON.stringify(answer)}`);
    return answer.data!.uploadFile.file!;
  }

  createFolder(path: string): Promise<{ id: string }> {
    return this.mutation('createFolder', 'folder', `folder { id }`, { path });
  }

  renameItem(id: string, name: string): Promise<unknown> {
    return this.mutation('renameItem', 'item', `item { id }`, { id, name });
  }

  moveItems(ids: string[], folder: string): Promise<unknown> {
    return this.mutation('moveItems', 'items', `items { id }`, { ids, folder });
  }

  deleteItems(ids: string[]): Promise<unknown> {
    return this.mutation('deleteItems', 'deletedIds', `deletedIds`, { ids });
  }

  instantUpload(md5OfContent: string, name: string): Promise<unknown> {
    return this.mutation('instantUpload', 'file', `file { id }`, { md5: md5OfContent, name });
  }

  shareFile(fileId: string): Promise<{ id: string }> {
    return this.mutation('shareFile', 'share', `share { id }`, { fileId });
  }

  saveSharedFile(shareId: string, folder: string): Promise<unknown> {
    return this.mutation('saveSharedFile', 'file', `file { id }`, { shareId, folder });
  }

  /**
   * A folder `path` holding two files, and a subfolder holding one: each with random content of its
   * own, so that removing the tree frees bytes.
   */
  async makeTree(path: string): Promise<{ id: string }> {
    const folder = await this.createFolder(path);
    await this.createFolder(`${path}/sub`);
    await this.upload(randomBytes(20_000), 'a.bin', path);
    await this.upload(randomBytes(30_000), 'b.bin', path);
    await this.upload(randomBytes(40_000), 'c.bin', `${path}/sub`);
    return folder;
  }

  /** Runs mutation `name` with `input`, and answers its payload's `field` (selected as `selection`). */
  private async mutation<Result>(
    name: string,
    field: string,
    selection: string,
    input: object,
  ): Promise<Result> {
    const answer = await graphql<Record<string, { userErrors: unknown[] } & Record<string, unknown>>>(
      this.server,
      `mutation ($input: ${name[0].toUpperCase()}${name.slice(1)}Input!) {
        ${name}(input: $input) { userErrors { code message } ${selection} }
      }`,
      { input },
      this.user.token,
    );
    const payload = answer.data?.[name];
    if (!payload || payload.userErrors.length) throw new Error(`${name} failed: ${JSON.stringify(answer)}`);
    return payload[field] as Result;
  }
}

/** Every file and folder of every user as `user kind path sha256`, sorted: what the drive shows. */
export async function driveSnapshot(databaseUrl: string): Promise<string[]> {
  const { rows } = await withDatabase(databaseUrl, (client) =>
    client.query<{ line: string }>(
      `SELECT u.user_name || ' ' || n.kind || ' ' || n.dir || n.name || ' ' || coalesce(b.sha256, '-') AS line
         FROM nodes n JOIN users u ON u.id = n.owner_id LEFT JOIN blobs b ON b.id = n.blob_id
        ORDER BY line`,
    ),
  );
  return rows.map((row) => row.line);
}
