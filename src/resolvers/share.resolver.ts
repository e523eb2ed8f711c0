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
import { FileType } from '../schema/drive-item.type';
import { ErrorCode } from '../schema/error-code';
import { IdType, localIdOf } from '../schema/global-id';
import { ConnectionArgs } from '../schema/relay';
import {
  CancelShareInput,
  RecordShareDownloadInput,
  SaveSharedFileInput,
  ShareByContentArgs,
  ShareFileInput,
} from '../schema/share.input';
import {
  CancelSharePayload,
  RecordShareDownloadPayload,
  SaveSharedFilePayload,
  ShareFilePayload,
} from '../schema/share.payload';
import { ShareConnection, ShareType } from '../schema/share.type';
import type { Payload } from '../schema/user-error';
import type { DriveService } from '../services/drive.service';
import type { ShareService } from '../services/share.service';
import { callerOf } from './caller';
import { ReportUserErrors } from './user-errors';
import type { ShareViews } from './views';

@Resolver(() => ShareType)
export class ShareResolver {
  constructor(
    private readonly shares: ShareService,
    private readonly drive: DriveService,
    private readonly views: ShareViews,
  ) {}

  @Query(() => ShareConnection, { description: 'Every public share, newest first. No sign-in needed.' })
  async sharedFiles(
    @Ctx() context: RequestContext,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
  ): Promise<ShareConnection> {
    const listing = await this.shares.list(context, page);
    return ShareConnection.from(listing, (share) => this.views.share(context, share));
  }

  @Query(() => ShareConnection, {
    description:
      'Public shares by downloads, most first; ties newest first. No sign-in needed. Served from Redis when it is configured.',
  })
  async downloadRanking(
    @Ctx() context: RequestContext,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
  ): Promise<ShareConnection> {
    const listing = await this.shares.downloadRanking(context, page);
    return ShareConnection.from(listing, (share) => this.views.share(context, share));
  }

  @Authorized()
  @Query(() => ShareConnection, { description: 'The viewer’s own public shares, newest first.' })
  async myShares(
    @Ctx() context: RequestContext,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
  ): Promise<ShareConnection> {
    const listing = await this.shares.listMine(context, callerOf(context), page);
    return ShareConnection.from(listing, (share) => this.views.share(context, share));
  }

  @Query(() => ShareType, {
    nullable: true,
    description: 'The public share of this content and name, as spec-001 clients name shares; null if none.',
  })
  async shareByContent(
    @Ctx() context: RequestContext,
    @Args(() => ShareByContentArgs) args: ShareByContentArgs,
  ): Promise<ShareType | null> {
    const share = await this.shares.findByContent(context, args.md5, args.name);
    return share && this.views.share(context, share);
  }

  @FieldResolver(() => FileType, {
    nullable: true,
    description:
      'The shared file as a file of the viewer’s drive: only for whoever shared it, null for anyone else.',
  })
  async file(@Ctx() context: RequestContext, @Root() share: ShareType): Promise<FileType | null> {
    if (context.caller?.userId !== share.share.ownerId) return null;
    const item = await this.drive.findOwned(context, context.caller, share.share.fileId);
    return item && FileType.from(item);
  }

  @Authorized()
  @Mutation(() => ShareFilePayload, {
    description:
      'Shares one of the viewer’s files publicly. ALREADY_SHARED when a file of that content and name already is (anyone’s).',
  })
  @UseMiddleware(
    ReportUserErrors(ShareFilePayload, {
      [ErrorCode.ALREADY_SHARED]: ['input', 'fileId'],
      [ErrorCode.NOT_FOUND]: ['input', 'fileId'],
    }),
  )
  async shareFile(
    @Ctx() context: RequestContext,
    @Arg('input', () => ShareFileInput, { description: INPUT }) input: ShareFileInput,
  ): Promise<Payload<ShareFilePayload>> {
    const fileId = localIdOf(input.fileId, [IdType.FILE], 'file', ['input', 'fileId']);
    return { share: this.views.share(context, await this.shares.share(context, callerOf(context), fileId)) };
  }

  @Authorized()
  @Mutation(() => CancelSharePayload, {
    description: 'Ends one of the viewer’s public shares; its URL stops working.',
  })
  @UseMiddleware(ReportUserErrors(CancelSharePayload, { [ErrorCode.NOT_FOUND]: ['input', 'id'] }))
  async cancelShare(
    @Ctx() context: RequestContext,
    @Arg('input', () => CancelShareInput, { description: INPUT }) input: CancelShareInput,
  ): Promise<Payload<CancelSharePayload>> {
    await this.shares.cancel(
      context,
      callerOf(context),
      localIdOf(input.id, [IdType.SHARE], 'share', ['input', 'id']),
    );
    return { deletedIds: [input.id] };
  }

  @Authorized()
  @Mutation(() => SaveSharedFilePayload, {
    description:
      'Copies a public share into the viewer’s drive, as one more reference to the same bytes. ALREADY_OWNED when that folder holds a file of that content and name already.',
  })
  @UseMiddleware(
    ReportUserErrors(SaveSharedFilePayload, {
      [ErrorCode.NOT_FOUND]: ['input', 'shareId'],
      [ErrorCode.BAD_USER_INPUT]: ['input', 'folder'],
      [ErrorCode.ALREADY_OWNED]: ['input', 'shareId'],
    }),
  )
  async saveSharedFile(
    @Ctx() context: RequestContext,
    @Arg('input', () => SaveSharedFileInput, { description: INPUT }) input: SaveSharedFileInput,
  ): Promise<Payload<SaveSharedFilePayload>> {
    const shareId = localIdOf(input.shareId, [IdType.SHARE], 'share', ['input', 'shareId']);
    return { file: FileType.from(await this.shares.save(context, callerOf(context), shareId, input.folder)) };
  }

  @Mutation(() => RecordShareDownloadPayload, {
    description:
      'Counts one public download of a share (spec 001 `dealsharefile?cmd=pv`): what the ranking orders by. No sign-in needed; COUNT_LIMIT_PER_MINUTE per client and share.',
  })
  @UseMiddleware(ReportUserErrors(RecordShareDownloadPayload, { [ErrorCode.NOT_FOUND]: ['input', 'id'] }))
  async recordShareDownload(
    @Ctx() context: RequestContext,
    @Arg('input', () => RecordShareDownloadInput, { description: INPUT }) input: RecordShareDownloadInput,
  ): Promise<Payload<RecordShareDownloadPayload>> {
    const shareId = localIdOf(input.id, [IdType.SHARE], 'share', ['input', 'id']);
    const { share, counted } = await this.shares.recordDownload(context, shareId);
    return { share: this.views.share(context, share), counted };
  }
}
