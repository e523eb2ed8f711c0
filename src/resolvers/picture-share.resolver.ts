import { Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context';
import { NodeIdArgs } from '../schema/node.args';
import { PageArgs } from '../schema/page.args';
import { PictureKeyArgs } from '../schema/share.args';
import { PictureSharePageType, PictureShareType } from '../schema/share.type';
import type { PictureShareService, PictureShareView } from '../services/picture-share.service';
import type { ShareLinks } from '../services/share-links';
import { callerOf } from './caller';

@Resolver(() => PictureShareType)
export class PictureShareResolver {
  constructor(
    private readonly pictureShares: PictureShareService,
    private readonly links: ShareLinks,
  ) {}

  private view(context: RequestContext, share: PictureShareView): PictureShareType {
    return PictureShareType.from(share, share.fileDeleted ? null : this.links.pictureUrl(context, share.key));
  }

  @Authorized()
  @Query(() => PictureSharePageType, { description: 'The caller’s picture shares, newest first.' })
  async myPictureShares(
    @Ctx() context: RequestContext,
    @Args(() => PageArgs) args: PageArgs,
  ): Promise<PictureSharePageType> {
    const page = await this.pictureShares.listMine(context, callerOf(context), args.offset, args.limit);
    return {
      totalCount: page.totalCount,
      pictureShares: page.pictureShares.map((share) => this.view(context, share)),
    };
  }

  @Query(() => PictureShareType, { description: 'A picture share by key; does not count a view.' })
  async pictureShare(@Ctx() context: RequestContext, @Args(() => PictureKeyArgs) { key }: PictureKeyArgs) {
    return this.view(context, await this.pictureShares.findOrThrow(context, key));
  }

  @Authorized()
  @Mutation(() => PictureShareType, {
    description: 'Shares one of the caller’s files under a random key; the existing share if it has one.',
  })
  async sharePicture(@Ctx() context: RequestContext, @Args(() => NodeIdArgs) { id }: NodeIdArgs) {
    return this.view(context, await this.pictureShares.share(context, callerOf(context), id));
  }

  @Authorized()
  @Mutation(() => Boolean)
  async cancelPictureShare(
    @Ctx() context: RequestContext,
    @Args(() => PictureKeyArgs) { key }: PictureKeyArgs,
  ) {
    await this.pictureShares.cancel(context, callerOf(context), key);
    return true;
  }

  @Mutation(() => PictureShareType, {
    description: 'Counts one view and answers with the new count. GONE when the file was deleted.',
  })
  async viewPictureShare(
    @Ctx() context: RequestContext,
    @Args(() => PictureKeyArgs) { key }: PictureKeyArgs,
  ) {
    return this.view(context, await this.pictureShares.view(context, key));
  }
}
