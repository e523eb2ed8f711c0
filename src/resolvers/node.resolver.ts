import { Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context';
import type { Node } from '../entities/node.entity';
import { notFound } from '../app-error';
import {
  FindFileArgs,
  FolderArgs,
  MoveNodeArgs,
  NodeIdArgs,
  NodeListArgs,
  RenameNodeArgs,
} from '../schema/node.args';
import { NodePageType, NodeType } from '../schema/node.type';
import type { NodeLinks } from '../services/node-links';
import type { NodeService } from '../services/node.service';
import { callerOf } from './caller';

@Resolver(() => NodeType)
export class NodeResolver {
  constructor(
    private readonly nodes: NodeService,
    private readonly links: NodeLinks,
  ) {}

  private view(context: RequestContext, node: Node): NodeType {
    return NodeType.from(node, this.links.downloadUrl(context, node));
  }

  @Authorized()
  @Query(() => NodePageType, { description: 'The caller’s files and folders, a page at a time.' })
  async files(
    @Ctx() context: RequestContext,
    @Args(() => NodeListArgs) args: NodeListArgs,
  ): Promise<NodePageType> {
    const page = await this.nodes.list(context, callerOf(context), args);
    return { totalCount: page.totalCount, nodes: page.nodes.map((node) => this.view(context, node)) };
  }

  @Authorized()
  @Query(() => NodeType)
  async file(@Ctx() context: RequestContext, @Args(() => NodeIdArgs) { id }: NodeIdArgs): Promise<NodeType> {
    return this.view(context, await this.nodes.findOwnedNodeOrThrow(context, callerOf(context), id));
  }

  @Authorized()
  @Query(() => NodeType, { description: 'The caller’s file with this content and name in a folder.' })
  async findFile(
    @Ctx() context: RequestContext,
    @Args(() => FindFileArgs) args: FindFileArgs,
  ): Promise<NodeType> {
    const node = await this.nodes.findFileByContent(
      context,
      callerOf(context),
      args.md5,
      args.name,
      args.folder,
    );
    if (!node) throw notFound('File');
    return this.view(context, node);
  }

  @Authorized()
  @Mutation(() => NodeType, { description: 'Creates a folder and any missing parents.' })
  async createFolder(@Ctx() context: RequestContext, @Args(() => FolderArgs) { path }: FolderArgs) {
    return this.view(context, await this.nodes.createFolder(context, callerOf(context), path));
  }

  @Authorized()
  @Mutation(() => NodeType)
  async renameNode(@Ctx() context: RequestContext, @Args(() => RenameNodeArgs) args: RenameNodeArgs) {
    return this.view(
      context,
      await this.nodes.rename(context, callerOf(context), args.id, args.name, args.onConflict),
    );
  }

  @Authorized()
  @Mutation(() => NodeType)
  async moveNode(@Ctx() context: RequestContext, @Args(() => MoveNodeArgs) args: MoveNodeArgs) {
    return this.view(
      context,
      await this.nodes.move(context, callerOf(context), args.id, args.folder, args.onConflict),
    );
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Deletes a file, or a folder and everything in it.' })
  async deleteNode(
    @Ctx() context: RequestContext,
    @Args(() => NodeIdArgs) { id }: NodeIdArgs,
  ): Promise<boolean> {
    await this.nodes.delete(context, callerOf(context), id);
    return true;
  }

  @Authorized()
  @Mutation(() => NodeType, { description: 'Counts one download of the caller’s own file.' })
  async recordDownload(@Ctx() context: RequestContext, @Args(() => NodeIdArgs) { id }: NodeIdArgs) {
    return this.view(context, await this.nodes.recordDownload(context, callerOf(context), id));
  }
}
