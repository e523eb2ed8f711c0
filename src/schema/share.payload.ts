import { Field, ID, ObjectType } from 'type-graphql';
import { FileType } from './drive-item.type';
import { PictureShareType, ShareType } from './share.type';
import { PayloadType } from './user-error';

@ObjectType('ShareFilePayload', { description: 'What `shareFile` did.' })
export class ShareFilePayload extends PayloadType {
  @Field(() => ShareType, { nullable: true, description: 'The new share; null on failure.' })
  share: ShareType | null = null;
}

@ObjectType('CancelSharePayload', { description: 'What `cancelShare` did.' })
export class CancelSharePayload extends PayloadType {
  @Field(() => [ID], { description: 'The id of the share that ended, if it did.' })
  deletedIds: string[] = [];
}

@ObjectType('SaveSharedFilePayload', { description: 'What `saveSharedFile` did.' })
export class SaveSharedFilePayload extends PayloadType {
  @Field(() => FileType, { nullable: true, description: 'The viewer’s copy; null on failure.' })
  file: FileType | null = null;
}

@ObjectType('RecordShareDownloadPayload', { description: 'What `recordShareDownload` did.' })
export class RecordShareDownloadPayload extends PayloadType {
  @Field(() => ShareType, { nullable: true, description: 'The share with its count; null on failure.' })
  share: ShareType | null = null;

  @Field(() => Boolean, {
    description: 'Whether this call counted: false past COUNT_LIMIT_PER_MINUTE for this client and share.',
  })
  counted = false;
}

@ObjectType('SharePicturePayload', { description: 'What `sharePicture` did.' })
export class SharePicturePayload extends PayloadType {
  @Field(() => PictureShareType, {
    nullable: true,
    description: 'The picture share (the one the file already had, if any); null on failure.',
  })
  pictureShare: PictureShareType | null = null;
}

@ObjectType('CancelPictureSharePayload', { description: 'What `cancelPictureShare` did.' })
export class CancelPictureSharePayload extends PayloadType {
  @Field(() => [ID], { description: 'The id of the picture share that ended, if it did.' })
  deletedIds: string[] = [];
}

@ObjectType('ViewPictureSharePayload', { description: 'What `viewPictureShare` did.' })
export class ViewPictureSharePayload extends PayloadType {
  @Field(() => PictureShareType, {
    nullable: true,
    description: 'The picture share with its count; null on failure.',
  })
  pictureShare: PictureShareType | null = null;

  @Field(() => Boolean, {
    description: 'Whether this call counted: false past COUNT_LIMIT_PER_MINUTE for this client and picture.',
  })
  counted = false;
}
