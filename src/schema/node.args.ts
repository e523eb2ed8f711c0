import { IsInt, IsOptional, IsUUID, Matches, Min } from 'class-validator';
import { ArgsType, Field, Float, ID } from 'type-graphql';
import { NodeKind } from '../entities/node.entity';
import { PageArgs } from './page.args';
import { ConflictPolicy, NodeOrder } from '../services/node.service';
import { IsFolderPath, IsNodeName } from './validators';

export const MD5_HEX = /^[0-9a-fA-F]{32}$/;

@ArgsType()
export class NodeListArgs extends PageArgs {
  @Field(() => String, { defaultValue: '/' })
  @IsFolderPath()
  folder!: string;

  @Field(() => Boolean, {
    defaultValue: false,
    description: 'Everything below the folder, not only its children.',
  })
  recursive!: boolean;

  @Field(() => NodeKind, { nullable: true })
  kind?: NodeKind;

  @Field(() => NodeOrder, { defaultValue: NodeOrder.CREATED })
  orderBy!: NodeOrder;
}

/** A file as spec 001 names it: by its content's md5 and its name. */
@ArgsType()
export class FileContentArgs {
  @Field(() => String)
  @Matches(MD5_HEX, { message: 'md5 must be 32 hex characters' })
  md5!: string;

  @Field(() => String)
  @IsNodeName()
  name!: string;
}

@ArgsType()
export class FindFileArgs extends FileContentArgs {
  @Field(() => String, { defaultValue: '/' })
  @IsFolderPath()
  folder!: string;
}

@ArgsType()
export class InstantUploadArgs extends FindFileArgs {
  @Field(() => ConflictPolicy, { defaultValue: ConflictPolicy.RENAME })
  onConflict!: ConflictPolicy;
}

@ArgsType()
export class RenameNodeArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a node id' })
  id!: string;

  @Field(() => String)
  @IsNodeName()
  name!: string;

  @Field(() => ConflictPolicy, { defaultValue: ConflictPolicy.FAIL })
  onConflict!: ConflictPolicy;
}

@ArgsType()
export class MoveNodeArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a node id' })
  id!: string;

  @Field(() => String, { description: 'The destination folder; missing folders are created.' })
  @IsFolderPath()
  folder!: string;

  @Field(() => ConflictPolicy, { defaultValue: ConflictPolicy.FAIL })
  onConflict!: ConflictPolicy;
}

@ArgsType()
export class UploadFileArgs {
  @Field(() => String, { defaultValue: '/' })
  @IsFolderPath()
  folder!: string;

  @Field(() => String, { nullable: true, description: 'Defaults to the uploaded file’s own name.' })
  @IsOptional()
  @IsNodeName()
  name?: string;

  @Field(() => ConflictPolicy, { defaultValue: ConflictPolicy.RENAME })
  onConflict!: ConflictPolicy;

  @Field(() => String, { nullable: true, description: 'If given, the bytes must have this md5.' })
  @IsOptional()
  @Matches(MD5_HEX, { message: 'md5 must be 32 hex characters' })
  md5?: string | null;

  @Field(() => Float, { nullable: true, description: 'If given, the bytes must be this many.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  size?: number | null;
}

@ArgsType()
export class NodeIdArgs {
  @Field(() => ID)
  @IsUUID('all', { message: 'id must be a node id' })
  id!: string;
}

@ArgsType()
export class FolderArgs {
  @Field(() => String, { description: 'Such as `/photos/2024`.' })
  @IsFolderPath()
  path!: string;
}
