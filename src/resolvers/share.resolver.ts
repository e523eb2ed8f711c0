import { Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../context';
import { NodeIdArgs } from '../schema/node.args';
import { NodeType } from '../schema/node.type';
import { FileContentArgs } from '../schema/node.args';
import { PageArgs } from '../schema/page.args';
import { SaveSharedFileArgs, ShareIdArgs } from '../schema/share.args';
import { SharePageType, ShareType } from '../schema/share.type';
import type { NodeLinks } from '../services/node-links';
import type { ShareLinks } from '../services/share-links';
import type { SharedFile, ShareService } from '../services/share.service';
import { callerOf } from './caller';

@Resolver(() => ShareType)
export class ShareResolver {
  constructor(
    private readonly shares: ShareService,
    private readonly links: ShareLinks,
    private readonly nodeLinks: NodeLinks,
  ) {}

  private view(context: RequestContext, share: SharedFile): ShareType {
    return ShareType.from(share, this.links.sharedFileUrl(context, share));
  }

  @Query(() => SharePageType, { description: 'Every public share, newest first.' })
  async sharedFiles(
    @Ctx() context: RequestContext,
    @Args(() => PageArgs) args: PageArgs,
  ): Promise<SharePageType> {
    const page = await this.shares.list(context, args.offset, args.limit);
    return { totalCount: page.totalCount, shares: page.shares.map((share) => this.view(context, share)) };
  }

  @Query(() => ShareType, { description: 'The public share of this content and name.' })
  async sharedFile(@Ctx() context: RequestContext, @Args(() => FileContentArgs) args: FileContentArgs) {
    return this.view(context, await this.shares.findByContentOrThrow(context, args.md5, args.name));
  }

  @Authorized()
  @Mutation(() => ShareType, {
    description:
      'Shares one of the caller’s files publicly. ALREADY_SHARED when its content and name already are.',
  })
  async shareFile(@Ctx() context: RequestContext, @Args(() => NodeIdArgs) { id }: NodeIdArgs) {
    return this.view(context, await this.shares.share(context, callerOf(context), id));
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Stops sharing one of the caller’s files.' })
  async cancelShare(@Ctx() context: RequestContext, @Args(() => NodeIdArgs) { id }: NodeIdArgs) {
    await this.shares.cancel(context, callerOf(context), id);
    return true;
  }

  @Authorized()
  @Mutation(() => NodeType, {
    description: 'Adds a shared file to the caller’s files. ALREADY_OWNED when the folder has it already.',
  })
  async saveSharedFile(
    @Ctx() context: RequestContext,
    @Args(() => SaveSharedFileArgs) args: SaveSharedFileArgs,
  ) {
    const node = await this.shares.save(context, callerOf(context), args.shareId, args.folder);
    return NodeType.from(node, this.nodeLinks.downloadUrl(context, node));
  }

  @Mutation(() => ShareType, { description: 'Counts one public download and answers with the new count.' })
  async recordSharedDownload(
    @Ctx() context: RequestContext,
    @Args(() => ShareIdArgs) { shareId }: ShareIdArgs,
  ) {
    return this.view(context, await this.shares.recordDownload(context, shareId));
  }
}

@Resolver(() => NodeType)
export class NodeSharedResolver {
  constructor(private readonly shares: ShareService) {}

  @FieldResolver(() => Boolean, { description: 'Whether this file is publicly shared.' })
  shared(@Root() node: NodeType, @Ctx() context: RequestContext): Promise<boolean> {
    return this.shares.isShared(context, node.id);
  }
}
