import { ArrayMaxSize } from 'class-validator';
import { Args, ArgsType, Ctx, Field, ID, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context';
import { DriveItemKind } from '../entities/drive-item.entity';
import { FileType, FolderType } from '../schema/drive-item.type';
import { fromGlobalId, IdType, type DecodedId } from '../schema/global-id';
import { NodeInterface } from '../schema/relay';
import { ApiTokenType } from '../schema/api-token.type';
import { ImageUploadType } from '../schema/image-upload.type';
import { SessionType, UserType } from '../schema/user.type';
import type { ApiTokenService } from '../services/api-token.service';
import type { AuthService } from '../services/auth.service';
import type { DriveService } from '../services/drive.service';
import type { ImageUploadService } from '../services/image-upload.service';
import type { PictureShareService } from '../services/picture-share.service';
import type { ShareService } from '../services/share.service';
import type { ShareViews } from './views';

const MAX_NODES = 100;

@ArgsType()
class NodeArgs {
  @Field(() => ID, { description: 'A global id, as any object’s `id` gives it.' })
  id!: string;
}

@ArgsType()
class NodesArgs {
  @Field(() => [ID], { description: `Global ids, at most ${MAX_NODES}.` })
  @ArrayMaxSize(MAX_NODES)
  ids!: string[];
}

/**
 * Relay's object refetching: any object by its global id, as far as the caller may see it. Files,
 * folders, picture shares, sessions, API tokens and the account are their owner's alone; shares are
 * public.
 */
@Resolver()
export class NodeResolver {
  constructor(
    private readonly drive: DriveService,
    private readonly shares: ShareService,
    private readonly pictureShares: PictureShareService,
    private readonly auth: AuthService,
    private readonly apiTokens: ApiTokenService,
    private readonly imageUploads: ImageUploadService,
    private readonly views: ShareViews,
  ) {}

  @Query(() => NodeInterface, {
    nullable: true,
    description: 'The object with this id; null when there is none, or the viewer may not see it.',
  })
  node(
    @Ctx() context: RequestContext,
    @Args(() => NodeArgs) { id }: NodeArgs,
  ): Promise<NodeInterface | null> {
    const decoded = fromGlobalId(id);
    return decoded ? this.find(context, decoded) : Promise.resolve(null);
  }

  @Query(() => [NodeInterface], {
    nullable: 'items',
    description: `The objects with these ids, in the same order; null in place of any the viewer may not see.`,
  })
  nodes(
    @Ctx() context: RequestContext,
    @Args(() => NodesArgs) { ids }: NodesArgs,
  ): Promise<(NodeInterface | null)[]> {
    return Promise.all(ids.map((id) => this.node(context, { id })));
  }

  private async find(context: RequestContext, { type, localId }: DecodedId): Promise<NodeInterface | null> {
    const caller = context.caller;
    switch (type) {
      case IdType.SHARE: {
        const share = await this.shares.find(context, localId);
        return share && this.views.share(context, share);
      }
      case IdType.FILE:
      case IdType.FOLDER: {
        const item = caller && (await this.drive.findOwned(context, caller, localId));
        if (!item || (item.kind === DriveItemKind.FILE) !== (type === IdType.FILE)) return null;
        return type === IdType.FILE ? FileType.from(item) : FolderType.from(item);
      }
      case IdType.PICTURE_SHARE: {
        const share = caller && (await this.pictureShares.findMine(context, caller, localId));
        return share && this.views.pictureShare(context, share);
      }
      case IdType.USER:
        return caller?.userId === localId ? UserType.of(caller) : null;
      case IdType.SESSION: {
        const session = caller && (await this.auth.findSession(context, caller, localId));
        return session && SessionType.from(session);
      }
      case IdType.API_TOKEN: {
        const apiToken = caller && (await this.apiTokens.find(context, caller, localId));
        return apiToken && ApiTokenType.from(apiToken);
      }
      case IdType.IMAGE_UPLOAD: {
        const image = caller && (await this.imageUploads.findMine(context, caller, localId));
        return image && ImageUploadType.from(image, context.baseUrl);
      }
      default:
        return null;
    }
  }
}
