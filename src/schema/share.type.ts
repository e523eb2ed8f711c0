import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import type { PictureShareView } from '../services/picture-share.service';
import type { RankingEntry } from '../services/ranking.service';
import type { SharedFile } from '../services/share.service';

@ObjectType('Share', { description: 'A file shared publicly, named by its content and name.' })
export class ShareType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  md5!: string;

  @Field(() => Float)
  size!: number;

  @Field(() => String)
  contentType!: string;

  @Field(() => Int, { description: 'Public downloads recorded with `recordSharedDownload`.' })
  pv!: number;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => String, { description: 'The user name of whoever shared it.' })
  sharer!: string;

  @Field(() => String, { description: 'The public download URL; it dies with the share.' })
  url!: string;

  static from(share: SharedFile, url: string): ShareType {
    return Object.assign(new ShareType(), { ...share, url });
  }
}

@ObjectType('SharePage')
export class SharePageType {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => [ShareType])
  shares!: ShareType[];
}

@ObjectType('RankingEntry')
export class RankingEntryType implements RankingEntry {
  @Field(() => ID)
  shareId!: string;

  @Field(() => String)
  name!: string;

  @Field(() => Int)
  pv!: number;
}

@ObjectType('RankingPage', { description: 'Public shares by downloads, most first; then newest first.' })
export class RankingPageType {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => [RankingEntryType])
  entries!: RankingEntryType[];
}

@ObjectType('PictureShare', { description: 'A picture shared under a random key.' })
export class PictureShareType {
  @Field(() => String)
  key!: string;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => String, { nullable: true })
  md5!: string | null;

  @Field(() => Float, { nullable: true })
  size!: number | null;

  @Field(() => Int, { description: 'Views counted by `viewPictureShare`.' })
  pv!: number;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => String)
  sharer!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The picture’s public URL; null once the file is deleted.',
  })
  url!: string | null;

  @Field(() => Boolean)
  fileDeleted!: boolean;

  static from(share: PictureShareView, url: string | null): PictureShareType {
    return Object.assign(new PictureShareType(), { ...share, url });
  }
}

@ObjectType('PictureSharePage')
export class PictureSharePageType {
  @Field(() => Int)
  totalCount!: number;

  @Field(() => [PictureShareType])
  pictureShares!: PictureShareType[];
}
