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
  CancelPictureShareInput,
  PictureShareByKeyArgs,
  SharePictureInput,
  ViewPictureShareInput,
} from '../schema/share.input';
import {
  CancelPictureSharePayload,
  SharePicturePayload,
  ViewPictureSharePayload,
} from '../schema/share.payload';
import { PictureShareConnection, PictureShareType } from '../schema/share.type';
import type { Payload } from '../schema/user-error';
import type { DriveService } from '../services/drive.service';
import type { PictureShareService } from '../services/picture-share.service';
import { callerOf } from './caller';
import { ReportUserErrors } from './user-errors';
import type { ShareViews } from './views';

@Resolver(() => PictureShareType)
export class PictureShareResolver {
  constructor(
    private readonly pictureShares: PictureShareService,
    private readonly drive: DriveService,
    private readonly views: ShareViews,
  ) {}

  @Authorized()
  @Query(() => PictureShareConnection, {
    description: 'The viewer’s picture shares, newest first, those of deleted files included.',
  })
  async myPictureShares(
    @Ctx() context: RequestContext,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
  ): Promise<PictureShareConnection> {
    const listing = await this.pictureShares.listMine(context, callerOf(context), page);
    return PictureShareConnection.from(listing, (share) => this.views.pictureShare(context, share));
  }

  @Query(() => PictureShareType, {
    nullable: true,
    description: 'A picture share by key, counting no view; null for an unknown key. No sign-in needed.',
  })
  async pictureShare(
    @Ctx() context: RequestContext,
    @Args(() => PictureShareByKeyArgs) { key }: PictureShareByKeyArgs,
  ): Promise<PictureShareType | null> {
    const share = await this.pictureShares.findByKey(context, key);
    return share && this.views.pictureShare(context, share);
  }

  @FieldResolver(() => FileType, {
    nullable: true,
    description: 'The shared file: only for whoever shared it, while it exists; null otherwise.',
  })
  async file(@Ctx() context: RequestContext, @Root() share: PictureShareType): Promise<FileType | null> {
    const { ownerId, fileId } = share.pictureShare;
    if (context.caller?.userId !== ownerId || !fileId) return null;
    const item = await this.drive.findOwned(context, context.caller, fileId);
    return item && FileType.from(item);
  }

  @Authorized()
  @Mutation(() => SharePicturePayload, {
    description: 'Shares one of the viewer’s files under a random key, or answers the share it already has.',
  })
  @UseMiddleware(ReportUserErrors(SharePicturePayload, { [ErrorCode.NOT_FOUND]: ['input', 'fileId'] }))
  async sharePicture(
    @Ctx() context: RequestContext,
    @Arg('input', () => SharePictureInput, { description: INPUT }) input: SharePictureInput,
  ): Promise<Payload<SharePicturePayload>> {
    const fileId = localIdOf(input.fileId, [IdType.FILE], 'file', ['input', 'fileId']);
    const share = await this.pictureShares.share(context, callerOf(context), fileId);
    return { pictureShare: this.views.pictureShare(context, share) };
  }

  @Authorized()
  @Mutation(() => CancelPictureSharePayload, {
    description: 'Ends one of the viewer’s picture shares; its page and picture URL stop working.',
  })
  @UseMiddleware(ReportUserErrors(CancelPictureSharePayload, { [ErrorCode.NOT_FOUND]: ['input', 'id'] }))
  async cancelPictureShare(
    @Ctx() context: RequestContext,
    @Arg('input', () => CancelPictureShareInput, { description: INPUT }) input: CancelPictureShareInput,
  ): Promise<Payload<CancelPictureSharePayload>> {
    const id = localIdOf(input.id, [IdType.PICTURE_SHARE], 'picture share', ['input', 'id']);
    await this.pictureShares.cancel(context, callerOf(context), id);
    return { deletedIds: [input.id] };
  }

  @Mutation(() => ViewPictureSharePayload, {
    description:
      'Counts one view of a picture share and answers it with the new count (spec 001 `sharepic?cmd=browse`). GONE when its file was deleted. No sign-in needed; COUNT_LIMIT_PER_MINUTE per client and picture.',
  })
  @UseMiddleware(
    ReportUserErrors(ViewPictureSharePayload, {
      [ErrorCode.NOT_FOUND]: ['input', 'key'],
      [ErrorCode.GONE]: ['input', 'key'],
    }),
  )
  async viewPictureShare(
    @Ctx() context: RequestContext,
    @Arg('input', () => ViewPictureShareInput, { description: INPUT }) input: ViewPictureShareInput,
  ): Promise<Payload<ViewPictureSharePayload>> {
    const { pictureShare, counted } = await this.pictureShares.view(context, input.key);
    return { pictureShare: this.views.pictureShare(context, pictureShare), counted };
  }
}
