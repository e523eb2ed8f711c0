import {
  Arg,
  Args,
  Authorized,
  Ctx,
  FieldResolver,
  Mutation,
  Query,
  Resolver,
  Root,
  UseMiddleware,
} from 'type-graphql';
import type { RequestContext } from '../context';
import { INPUT } from '../schema/user-error';
import {
  CreateFolderInput,
  DeleteItemsInput,
  FileByContentArgs,
  ItemArgs,
  FilesArgs,
  FoldersArgs,
  MoveItemsInput,
  RecordFileDownloadInput,
  RenameItemInput,
} from '../schema/drive-item.input';
import {
  CreateFolderPayload,
  DeleteItemResult,
  DeleteItemsPayload,
  MoveItemResult,
  MoveItemsPayload,
  RecordFileDownloadPayload,
  RenameItemPayload,
} from '../schema/drive-item.payload';
import {
  DriveItemInterface,
  driveItemType,
  FileConnection,
  FileType,
  FolderConnection,
  FolderType,
  SignedUrlType,
} from '../schema/drive-item.type';
import { ErrorCode } from '../schema/error-code';
import { IdType, localIdOf } from '../schema/global-id';
import { PictureShareType, ShareType } from '../schema/share.type';
import type { Payload, UserErrorType } from '../schema/user-error';
import { DriveItemKind } from '../entities/drive-item.entity';
import type { DriveService, ItemOutcome } from '../services/drive.service';
import type { FileLinks } from '../services/file-links';
import type { PictureShareService } from '../services/picture-share.service';
import type { ShareService } from '../services/share.service';
import { callerOf } from './caller';
import { ReportUserErrors, userErrorsOf } from './user-errors';
import type { ShareViews } from './views';

const DRIVE_ITEM_IDS = [IdType.FILE, IdType.FOLDER] as const;

@Resolver(() => FileType)
export class DriveItemResolver {
  constructor(
    private readonly drive: DriveService,
    private readonly fileLinks: FileLinks,
    private readonly shares: ShareService,
    private readonly pictureShares: PictureShareService,
    private readonly views: ShareViews,
  ) {}

  @Authorized()
  @Query(() => FileConnection, {
    description: 'The viewer’s files in a folder (or below it), a page at a time.',
  })
  async files(
    @Ctx() context: RequestContext,
    @Args(() => FilesArgs) args: FilesArgs,
  ): Promise<FileConnection> {
    const listing = await this.drive.list(context, callerOf(context), {
      ...args,
      ...args.filter,
      kind: DriveItemKind.FILE,
      page: args,
    });
    return FileConnection.from(listing, (item) => FileType.from(item));
  }

  @Authorized()
  @Query(() => FolderConnection, {
    description: 'The viewer’s folders in a folder (or below it), a page at a time.',
  })
  async folders(
    @Ctx() context: RequestContext,
    @Args(() => FoldersArgs) args: FoldersArgs,
  ): Promise<FolderConnection> {
    const listing = await this.drive.list(context, callerOf(context), {
      ...args,
      ...args.filter,
      kind: DriveItemKind.FOLDER,
      page: args,
    });
    return FolderConnection.from(listing, (item) => FolderType.from(item));
  }

  @Authorized()
  @Query(() => FileType, {
    nullable: true,
    description:
      'The viewer’s file of this content and name in a folder, as spec-001 clients name files; null if none.',
  })
  async fileByContent(
    @Ctx() context: RequestContext,
    @Args(() => FileByContentArgs) args: FileByContentArgs,
  ): Promise<FileType | null> {
    const item = await this.drive.findFileByContent(
      context,
      callerOf(context),
      args.md5,
      args.name,
      args.folder,
    );
    return item && FileType.from(item);
  }

  @Authorized()
  @Query(() => DriveItemInterface, {
    nullable: true,
    description: 'The viewer’s file or folder at a path; null when there is none (the top folder is none).',
  })
  async item(
    @Ctx() context: RequestContext,
    @Args(() => ItemArgs) { path }: ItemArgs,
  ): Promise<DriveItemInterface | null> {
    const item = await this.drive.findByPath(context, callerOf(context), path);
    return item && driveItemType(item);
  }

  @FieldResolver(() => SignedUrlType, { description: 'A private download URL of the file, for its owner.' })
  download(@Ctx() context: RequestContext, @Root() file: FileType): SignedUrlType {
    return this.fileLinks.download(context, file.item);
  }

  @FieldResolver(() => ShareType, {
    nullable: true,
    description: 'Its public share; null when it is not shared.',
  })
  async share(@Ctx() context: RequestContext, @Root() file: FileType): Promise<ShareType | null> {
    const share = await this.shares.shareOfFile(context, file.item.id);
    return share && this.views.share(context, share);
  }

  @FieldResolver(() => PictureShareType, {
    nullable: true,
    description: 'Its picture share; null when it has none.',
  })
  async pictureShare(
    @Ctx() context: RequestContext,
    @Root() file: FileType,
  ): Promise<PictureShareType | null> {
    const share = await this.pictureShares.shareOfFile(context, file.item.id);
    return share && this.views.pictureShare(context, share);
  }

  @Authorized()
  @Mutation(() => CreateFolderPayload, {
    description: 'Makes a folder and any missing parents; an existing one is kept.',
  })
  @UseMiddleware(
    ReportUserErrors(CreateFolderPayload, {
      [ErrorCode.NAME_TAKEN]: ['input', 'path'],
      [ErrorCode.BAD_USER_INPUT]: ['input', 'path'],
    }),
  )
  async createFolder(
    @Ctx() context: RequestContext,
    @Arg('input', () => CreateFolderInput, { description: INPUT }) input: CreateFolderInput,
  ): Promise<Payload<CreateFolderPayload>> {
    const folder = await this.drive.createFolder(context, callerOf(context), input.path, input.failIfExists);
    return { folder: FolderType.from(folder) };
  }

  @Authorized()
  @Mutation(() => RenameItemPayload, { description: 'Renames a file or folder in its folder.' })
  @UseMiddleware(
    ReportUserErrors(RenameItemPayload, {
      [ErrorCode.NAME_TAKEN]: ['input', 'name'],
      [ErrorCode.BAD_USER_INPUT]: ['input', 'name'],
      [ErrorCode.NOT_FOUND]: ['input', 'id'],
    }),
  )
  async renameItem(
    @Ctx() context: RequestContext,
    @Arg('input', () => RenameItemInput, { description: INPUT }) input: RenameItemInput,
  ): Promise<Payload<RenameItemPayload>> {
    const id = localIdOf(input.id, DRIVE_ITEM_IDS, 'file or folder', ['input', 'id']);
    const item = await this.drive.rename(context, callerOf(context), id, input.name, input.onConflict);
    return { item: driveItemType(item) };
  }

  @Authorized()
  @Mutation(() => MoveItemsPayload, {
    description:
      'Moves files and folders into a folder, each on its own: one that fails leaves the others moved.',
  })
  @UseMiddleware(ReportUserErrors(MoveItemsPayload))
  async moveItems(
    @Ctx() context: RequestContext,
    @Arg('input', () => MoveItemsInput, { description: INPUT }) input: MoveItemsInput,
  ): Promise<Payload<MoveItemsPayload>> {
    const caller = callerOf(context);
    const outcomes = await eachItem(input.ids, (ids) =>
      this.drive.moveEach(context, caller, ids, input.folder, input.onConflict),
    );
    const results = outcomes.map(({ id, result, userErrors }) =>
      Object.assign(new MoveItemResult(), { id, item: result ? driveItemType(result) : null, userErrors }),
    );
    return { results, items: results.flatMap((result) => (result.item ? [result.item] : [])) };
  }

  @Authorized()
  @Mutation(() => DeleteItemsPayload, {
    description:
      'Deletes files and folders (a folder with all it holds), each on its own: one that fails leaves the others deleted. Their shares end with them.',
  })
  @UseMiddleware(ReportUserErrors(DeleteItemsPayload))
  async deleteItems(
    @Ctx() context: RequestContext,
    @Arg('input', () => DeleteItemsInput, { description: INPUT }) input: DeleteItemsInput,
  ): Promise<Payload<DeleteItemsPayload>> {
    const caller = callerOf(context);
    const outcomes = await eachItem(input.ids, (ids) => this.drive.deleteEach(context, caller, ids));
    const results = outcomes.map(({ id, result, userErrors }) =>
      Object.assign(new DeleteItemResult(), { id, deleted: result !== undefined, userErrors }),
    );
    return { results, deletedIds: results.filter((result) => result.deleted).map((result) => result.id) };
  }

  @Authorized()
  @Mutation(() => RecordFileDownloadPayload, {
    description:
      'Counts one download of one of the viewer’s files (spec 001 `dealfile?cmd=pv`); COUNT_LIMIT_PER_MINUTE per client and file.',
  })
  @UseMiddleware(ReportUserErrors(RecordFileDownloadPayload, { [ErrorCode.NOT_FOUND]: ['input', 'id'] }))
  async recordFileDownload(
    @Ctx() context: RequestContext,
    @Arg('input', () => RecordFileDownloadInput, { description: INPUT }) input: RecordFileDownloadInput,
  ): Promise<Payload<RecordFileDownloadPayload>> {
    const id = localIdOf(input.id, [IdType.FILE], 'file', ['input', 'id']);
    const { item, counted } = await this.drive.recordDownload(context, callerOf(context), id);
    return { file: FileType.from(item), counted };
  }
}

/** One item of a batch as its payload reports it: the result, or why there is none. */
interface BatchResult<Result> {
  id: string;
  result?: Result;
  userErrors: UserErrorType[];
}

/**
 * Runs a batch over the drive items named by `ids`: an id that names no drive item fails alone, and
 * every other goes to `run` as its row id. One result per id given, in the same order.
 */
async function eachItem<Result>(
  ids: string[],
  run: (localIds: string[]) => Promise<ItemOutcome<Result>[]>,
): Promise<BatchResult<Result>[]> {
  const decoded = ids.map((id, index) => {
    const field = ['input', 'ids', String(index)];
    try {
      return { field, localId: localIdOf(id, DRIVE_ITEM_IDS, 'file or folder', field) };
    } catch (error) {
      return { field, userErrors: userErrorsOf(error) ?? [] };
    }
  });
  const outcomes = await run(decoded.flatMap((item) => (item.localId ? [item.localId] : [])));
  const byId = new Map(outcomes.map((outcome) => [outcome.id, outcome]));
  return ids.map((id, index) => {
    const { field, localId, userErrors } = decoded[index];
    if (!localId) return { id, userErrors: userErrors ?? [] };
    const outcome = byId.get(localId)!;
    if ('result' in outcome) return { id, result: outcome.result, userErrors: [] };
    return { id, userErrors: userErrorsOf(outcome.error, { [outcome.error.code]: field }) ?? [] };
  });
}
