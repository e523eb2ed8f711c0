import { Matches, MaxLength } from 'class-validator';
import { ArgsType, Field, ID, InputType } from 'type-graphql';
import { MD5_HEX } from './drive-item.input';
import { IsFolderPath, IsNodeName } from './validators';

@ArgsType()
export class ShareByContentArgs {
  @Field(() => String, { description: 'The md5 of the shared file’s bytes, 32 hex characters in any case.' })
  @Matches(MD5_HEX, { message: 'md5 must be 32 hex characters' })
  md5!: string;

  @Field(() => String, { description: 'The shared file’s name.' })
  @IsNodeName()
  name!: string;
}

@ArgsType()
export class PictureShareByKeyArgs {
  @Field(() => String, {
    description: 'The picture share’s key (spec 001 `urlmd5`); any other string finds none.',
  })
  @MaxLength(64)
  key!: string;
}

@InputType('ShareFileInput', { description: 'One of the viewer’s files to share publicly.' })
export class ShareFileInput {
  @Field(() => ID, { description: 'The file’s id.' })
  fileId!: string;
}

@InputType('CancelShareInput', { description: 'One of the viewer’s public shares to end.' })
export class CancelShareInput {
  @Field(() => ID, { description: 'The share’s id.' })
  id!: string;
}

@InputType('SaveSharedFileInput', { description: 'A public share to copy into the viewer’s drive.' })
export class SaveSharedFileInput {
  @Field(() => ID, { description: 'The share’s id.' })
  shareId!: string;

  @Field(() => String, {
    defaultValue: '/',
    description: 'Where to put the copy; missing folders are created.',
  })
  @IsFolderPath()
  folder!: string;
}

@InputType('RecordShareDownloadInput', { description: 'A download of a public share to count.' })
export class RecordShareDownloadInput {
  @Field(() => ID, { description: 'The share’s id.' })
  id!: string;
}

@InputType('SharePictureInput', { description: 'One of the viewer’s files to share as a picture.' })
export class SharePictureInput {
  @Field(() => ID, { description: 'The file’s id.' })
  fileId!: string;
}

@InputType('CancelPictureShareInput', { description: 'One of the viewer’s picture shares to end.' })
export class CancelPictureShareInput {
  @Field(() => ID, { description: 'The picture share’s id.' })
  id!: string;
}

@InputType('ViewPictureShareInput', { description: 'A view of a picture share to count.' })
export class ViewPictureShareInput {
  @Field(() => String, { description: 'The picture share’s key (spec 001 `urlmd5`).' })
  @MaxLength(64)
  key!: string;
}
