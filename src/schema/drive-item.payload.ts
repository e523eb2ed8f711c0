import { Field, ID, ObjectType } from 'type-graphql';
import { DriveItemInterface, FileType, FolderType } from './drive-item.type';
import { PayloadType, UserErrorType } from './user-error';

@ObjectType('UploadFilePayload', { description: 'What `uploadFile` did.' })
export class UploadFilePayload extends PayloadType {
  @Field(() => FileType, {
    nullable: true,
    description: 'The new file (or the one already there with the same name and content); null on failure.',
  })
  file: FileType | null = null;
}

@ObjectType('InstantUploadPayload', { description: 'What `instantUpload` did.' })
export class InstantUploadPayload extends PayloadType {
  @Field(() => FileType, { nullable: true, description: 'The new file; null on failure.' })
  file: FileType | null = null;
}

@ObjectType('CreateFolderPayload', { description: 'What `createFolder` did.' })
export class CreateFolderPayload extends PayloadType {
  @Field(() => FolderType, {
    nullable: true,
    description: 'The folder (made now or already there); null on failure.',
  })
  folder: FolderType | null = null;
}

@ObjectType('RenameItemPayload', { description: 'What `renameItem` did.' })
export class RenameItemPayload extends PayloadType {
  @Field(() => DriveItemInterface, {
    nullable: true,
    description: 'The renamed file or folder; null on failure.',
  })
  item: DriveItemInterface | null = null;
}

@ObjectType('MoveItemResult', { description: 'What became of one item of `moveItems`.' })
export class MoveItemResult {
  @Field(() => ID, { description: 'The id as it was given.' })
  id!: string;

  @Field(() => DriveItemInterface, {
    nullable: true,
    description: 'The item where it is now; null if it did not move.',
  })
  item: DriveItemInterface | null = null;

  @Field(() => [UserErrorType], { description: 'Why it did not move; empty when it did.' })
  userErrors!: UserErrorType[];
}

@ObjectType('MoveItemsPayload', {
  description: 'What `moveItems` did: each item is moved, or not, on its own.',
})
export class MoveItemsPayload extends PayloadType {
  @Field(() => [DriveItemInterface], { description: 'The items that moved, where they are now.' })
  items: DriveItemInterface[] = [];

  @Field(() => [MoveItemResult], { description: 'One result per id given, in the same order.' })
  results: MoveItemResult[] = [];
}

@ObjectType('DeleteItemResult', { description: 'What became of one item of `deleteItems`.' })
export class DeleteItemResult {
  @Field(() => ID, { description: 'The id as it was given.' })
  id!: string;

  @Field(() => Boolean, { description: 'Whether it was deleted (a folder with all it held).' })
  deleted!: boolean;

  @Field(() => [UserErrorType], { description: 'Why it was not deleted; empty when it was.' })
  userErrors!: UserErrorType[];
}

@ObjectType('DeleteItemsPayload', {
  description: 'What `deleteItems` did: each item is deleted, or not, on its own.',
})
export class DeleteItemsPayload extends PayloadType {
  @Field(() => [ID], { description: 'The ids that were deleted: drop them from any cache.' })
  deletedIds: string[] = [];

  @Field(() => [DeleteItemResult], { description: 'One result per id given, in the same order.' })
  results: DeleteItemResult[] = [];
}

@ObjectType('RecordFileDownloadPayload', { description: 'What `recordFileDownload` did.' })
export class RecordFileDownloadPayload extends PayloadType {
  @Field(() => FileType, { nullable: true, description: 'The file with its count; null on failure.' })
  file: FileType | null = null;

  @Field(() => Boolean, {
    description: 'Whether this call counted: false past COUNT_LIMIT_PER_MINUTE for this client and file.',
  })
  counted = false;
}
