import type { FileUpload } from 'graphql-upload-minimal';
import { ArrayMaxSize, ArrayMinSize, IsOptional, Matches, MaxLength, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType, registerEnumType } from 'type-graphql';
import { ConflictPolicy, DriveItemOrderField } from '../services/drive.service';
import { OrderDirection } from '../services/pagination';
import { ConnectionArgs } from './relay';
import { ByteCountScalar } from './scalars';
import { UploadScalar } from './upload.scalar';
import { IsFolderPath, IsNodeName } from './validators';

export const MD5_HEX = /^[0-9a-fA-F]{32}$/;
/** The most items one batch mutation takes. */
export const MAX_BATCH = 100;

registerEnumType(OrderDirection, {
  name: 'OrderDirection',
  description: 'Which way a list is ordered.',
  valuesConfig: {
    ASC: { description: 'Smallest, earliest or A first.' },
    DESC: { description: 'Largest, latest or Z first.' },
  },
});

registerEnumType(DriveItemOrderField, {
  name: 'DriveItemOrderField',
  description: 'What files and folders can be ordered by. Ties are ordered by id, the same way.',
  valuesConfig: {
    CREATED_AT: { description: 'When it was created here.' },
    UPDATED_AT: { description: 'When it was last renamed, moved or given new content.' },
    NAME: { description: 'Its name, as PostgreSQL collates text.' },
    SIZE: { description: 'Its length in bytes (folders count as 0).' },
    DOWNLOADS: { description: 'Downloads its owner counted (folders count as 0).' },
  },
});

@InputType('DriveItemOrder', { description: 'An order of files or folders.' })
export class DriveItemOrderInput {
  @Field(() => DriveItemOrderField, {
    defaultValue: DriveItemOrderField.CREATED_AT,
    description: 'What to order by.',
  })
  field!: DriveItemOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.DESC, description: 'Which way.' })
  direction!: OrderDirection;
}

@InputType('FileFilter', { description: 'Which files to list; every condition given must hold.' })
export class FileFilterInput {
  @Field(() => String, { nullable: true, description: 'A part of the name, in any letter case.' })
  @IsOptional()
  @MaxLength(255)
  nameContains?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The extension, with or without its dot, in any letter case: `png` and `.png` find `cat.PNG`.',
  })
  @IsOptional()
  @MaxLength(32)
  extension?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The start of the content type, such as `image/` or `application/pdf`.',
  })
  @IsOptional()
  @MaxLength(127)
  contentTypePrefix?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Only files that are (true) or are not (false) shared publicly.',
  })
  @IsOptional()
  shared?: boolean | null;
}

@InputType('FolderFilter', { description: 'Which folders to list.' })
export class FolderFilterInput {
  @Field(() => String, { nullable: true, description: 'A part of the name, in any letter case.' })
  @IsOptional()
  @MaxLength(255)
  nameContains?: string | null;
}

@ArgsType()
class DriveListArgs extends ConnectionArgs {
  @Field(() => String, {
    defaultValue: '/',
    description: 'The folder to list, such as `/` or `/photos/2024`.',
  })
  @IsFolderPath()
  folder!: string;

  @Field(() => Boolean, {
    defaultValue: false,
    description: 'Everything below the folder too, not only what is in it.',
  })
  recursive!: boolean;

  @Field(() => DriveItemOrderInput, {
    defaultValue: { field: DriveItemOrderField.CREATED_AT, direction: OrderDirection.DESC },
    description: 'Newest first unless asked otherwise.',
  })
  @ValidateNested()
  orderBy!: DriveItemOrderInput;
}

@ArgsType()
export class FilesArgs extends DriveListArgs {
  @Field(() => FileFilterInput, { nullable: true, description: 'Only the files that match.' })
  @IsOptional()
  @ValidateNested()
  filter?: FileFilterInput | null;
}

@ArgsType()
export class FoldersArgs extends DriveListArgs {
  @Field(() => FolderFilterInput, { nullable: true, description: 'Only the folders that match.' })
  @IsOptional()
  @ValidateNested()
  filter?: FolderFilterInput | null;
}

@ArgsType()
export class FileByContentArgs {
  @Field(() => String, { description: 'The md5 of the file’s bytes, 32 hex characters in any case.' })
  @Matches(MD5_HEX, { message: 'md5 must be 32 hex characters' })
  md5!: string;

  @Field(() => String, { description: 'The file’s name.' })
  @IsNodeName()
  name!: string;

  @Field(() => String, { defaultValue: '/', description: 'The folder it is in.' })
  @IsFolderPath()
  folder!: string;
}

@InputType('UploadFileInput', { description: 'A file to upload (GraphQL multipart request spec).' })
export class UploadFileInput {
  @Field(() => UploadScalar, { description: 'The file’s part of the multipart request.' })
  file!: Promise<FileUpload>;

  @Field(() => String, { defaultValue: '/', description: 'Where to put it; missing folders are created.' })
  @IsFolderPath()
  folder!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Its name there; the uploaded file’s own name by default.',
  })
  @IsOptional()
  @IsNodeName()
  name?: string | null;

  @Field(() => ConflictPolicy, {
    defaultValue: ConflictPolicy.RENAME,
    description: 'When the folder already holds that name: RENAME (the default) keeps both.',
  })
  onConflict!: ConflictPolicy;

  @Field(() => String, {
    nullable: true,
    description: 'If given, the bytes must have this md5, or nothing is kept (CONTENT_MISMATCH).',
  })
  @IsOptional()
  @Matches(MD5_HEX, { message: 'md5 must be 32 hex characters' })
  md5?: string | null;

  @Field(() => ByteCountScalar, {
    nullable: true,
    description:
      'If given, the bytes must be this many; more than the limits allow is refused before any is read.',
  })
  size?: number | null;
}

@InputType('InstantUploadInput', { description: 'A file to add from content the server already has.' })
export class InstantUploadInput {
  @Field(() => String, {
    description: 'The md5 of the content: one of the viewer’s own files, or a public share, must hold it.',
  })
  @Matches(MD5_HEX, { message: 'md5 must be 32 hex characters' })
  md5!: string;

  @Field(() => String, { description: 'The new file’s name.' })
  @IsNodeName()
  name!: string;

  @Field(() => String, { defaultValue: '/', description: 'Where to put it; missing folders are created.' })
  @IsFolderPath()
  folder!: string;

  @Field(() => ConflictPolicy, {
    defaultValue: ConflictPolicy.RENAME,
    description: 'When the name is taken.',
  })
  onConflict!: ConflictPolicy;
}

@InputType('CreateFolderInput', { description: 'A folder to make.' })
export class CreateFolderInput {
  @Field(() => String, { description: 'Such as `/photos/2024`; missing parents are made too.' })
  @IsFolderPath()
  path!: string;

  @Field(() => Boolean, {
    defaultValue: false,
    description: 'Answer NAME_TAKEN when the folder exists already, instead of answering it as it is.',
  })
  failIfExists!: boolean;
}

@ArgsType()
export class ItemArgs {
  @Field(() => String, { description: 'The path of a file or folder, such as `/photos/cat.png`.' })
  @IsFolderPath()
  path!: string;
}

@InputType('RenameItemInput', { description: 'A new name for a file or folder, in the same folder.' })
export class RenameItemInput {
  @Field(() => ID, { description: 'The file’s or folder’s id.' })
  id!: string;

  @Field(() => String, { description: 'The new name.' })
  @IsNodeName()
  name!: string;

  @Field(() => ConflictPolicy, { defaultValue: ConflictPolicy.FAIL, description: 'When the name is taken.' })
  onConflict!: ConflictPolicy;
}

@InputType('MoveItemsInput', { description: 'Files and folders to move into one folder.' })
export class MoveItemsInput {
  @Field(() => [ID], { description: `The ids of the files and folders, 1 to ${MAX_BATCH}.` })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH)
  ids!: string[];

  @Field(() => String, { description: 'The destination folder; missing folders are created.' })
  @IsFolderPath()
  folder!: string;

  @Field(() => ConflictPolicy, {
    defaultValue: ConflictPolicy.FAIL,
    description: 'When a name is taken there.',
  })
  onConflict!: ConflictPolicy;
}

@InputType('DeleteItemsInput', { description: 'Files and folders to delete, a folder with all it holds.' })
export class DeleteItemsInput {
  @Field(() => [ID], { description: `The ids of the files and folders, 1 to ${MAX_BATCH}.` })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH)
  ids!: string[];
}

@InputType('RecordFileDownloadInput', { description: 'A download of one of the viewer’s files to count.' })
export class RecordFileDownloadInput {
  @Field(() => ID, { description: 'The file’s id.' })
  id!: string;
}
