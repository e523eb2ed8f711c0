import { Field, Int, ObjectType } from 'type-graphql';
import type { PictureShareView } from '../services/picture-share.service';
import type { SharedFile } from '../services/share.service';
import { IdType, toGlobalId } from './global-id';
import { connectionOf, NodeInterface } from './relay';
import { ByteCountScalar, UrlScalar } from './scalars';

@ObjectType('Share', {
  implements: NodeInterface,
  description:
    'A file shared publicly: anyone may list and download it while it is shared. Spec-001 clients name a share by its content and name, so at most one share has each pair.',
})
export class ShareType extends NodeInterface {
  @Field(() => String, { description: 'The file’s name, as the file is named now.' })
  name!: string;

  @Field(() => String, { description: 'The md5 of the file’s bytes, 32 lowercase hex characters.' })
  md5!: string;

  @Field(() => ByteCountScalar, { description: 'The file’s length in bytes.' })
  size!: number;

  @Field(() => String, { description: 'The file’s type, from its leading bytes.' })
  contentType!: string;

  @Field(() => Int, {
    description: 'Public downloads counted with `recordShareDownload`: what the download ranking orders by.',
  })
  downloadCount!: number;

  @Field(() => Date, { description: 'When it was shared.' })
  createdAt!: Date;

  @Field(() => String, { description: 'The user name of whoever shared it.' })
  sharer!: string;

  @Field(() => UrlScalar, {
    description:
      'The public download URL, `/s/<share>/<name>`: it works while the share lasts, and no longer.',
  })
  url!: string;

  /** The share this object shows, for field resolvers. */
  share!: SharedFile;

  static from(share: SharedFile, url: string): ShareType {
    return Object.assign(new ShareType(), {
      id: toGlobalId(IdType.SHARE, share.id),
      name: share.name,
      md5: share.md5,
      size: share.size,
      contentType: share.contentType,
      downloadCount: share.pv,
      createdAt: share.createdAt,
      sharer: share.sharer,
      url,
      share,
    });
  }
}

@ObjectType('PictureShare', {
  implements: NodeInterface,
  description:
    'A picture shared under a random key, shown on a page of its own. It outlives its file so that the page can say the picture was deleted.',
})
export class PictureShareType extends NodeInterface {
  @Field(() => String, {
    description:
      '32 random lowercase hex characters: whoever knows it may view the picture (spec 001 `urlmd5`).',
  })
  key!: string;

  @Field(() => String, { description: 'The file’s name, as it was last.' })
  name!: string;

  @Field(() => String, { description: 'The md5 of the file’s bytes, as they were last.' })
  md5!: string;

  @Field(() => ByteCountScalar, { description: 'The file’s length in bytes, as it was last.' })
  size!: number;

  @Field(() => Int, { description: 'Views counted with `viewPictureShare` (each open of its page is one).' })
  viewCount!: number;

  @Field(() => Date, { description: 'When it was shared.' })
  createdAt!: Date;

  @Field(() => String, { description: 'The user name of whoever shared it.' })
  sharer!: string;

  @Field(() => Boolean, {
    description: 'Whether the file has been deleted: the picture is gone, the share stays.',
  })
  fileDeleted!: boolean;

  @Field(() => UrlScalar, {
    nullable: true,
    description: 'The picture itself, `/p/<key>`; null once the file is deleted.',
  })
  url!: string | null;

  @Field(() => UrlScalar, { description: 'The page that shows the picture, `/share?urlmd5=<key>`.' })
  pageUrl!: string;

  /** The share this object shows, for field resolvers. */
  pictureShare!: PictureShareView;

  static from(share: PictureShareView, urls: { url: string | null; pageUrl: string }): PictureShareType {
    return Object.assign(new PictureShareType(), {
      id: toGlobalId(IdType.PICTURE_SHARE, share.id),
      key: share.key,
      name: share.name,
      md5: share.md5,
      size: share.size,
      viewCount: share.pv,
      createdAt: share.createdAt,
      sharer: share.sharer,
      fileDeleted: share.fileDeleted,
      ...urls,
      pictureShare: share,
    });
  }
}

export const ShareConnection = connectionOf('Share', ShareType, 'share');
export type ShareConnection = InstanceType<typeof ShareConnection>;
export const PictureShareConnection = connectionOf('PictureShare', PictureShareType, 'picture share');
export type PictureShareConnection = InstanceType<typeof PictureShareConnection>;
