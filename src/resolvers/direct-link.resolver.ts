import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver, UseMiddleware } from 'type-graphql';
import type { RequestContext } from '../context';
import { CreateDirectLinkInput, DirectLinkArgs, SaveDirectLinkInput } from '../schema/direct-link.input';
import { CreateDirectLinkPayload, SaveDirectLinkPayload } from '../schema/direct-link.payload';
import { DirectLinkType } from '../schema/direct-link.type';
import { FileType } from '../schema/drive-item.type';
import { ErrorCode } from '../schema/error-code';
import { IdType, localIdOf } from '../schema/global-id';
import { INPUT, type Payload } from '../schema/user-error';
import {
  DirectLinkStatus,
  type DirectLinkService,
  type DirectLinkView,
} from '../services/direct-link.service';
import type { FileLinks } from '../services/file-links';
import { callerOf } from './caller';
import { ReportUserErrors } from './user-errors';

@Resolver(() => DirectLinkType)
export class DirectLinkResolver {
  constructor(
    private readonly directLinks: DirectLinkService,
    private readonly fileLinks: FileLinks,
  ) {}

  private view(context: RequestContext, link: DirectLinkView): DirectLinkType {
    const open = link.status === DirectLinkStatus.OPEN ? link.file : null;
    return Object.assign(new DirectLinkType(), {
      token: link.token,
      url: `${context.baseUrl}/Netdisk/download/${link.token}`,
      expiresAt: link.expiresAt,
      key: link.key,
      status: link.status,
      name: open?.name ?? null,
      size: open?.blob?.size ?? null,
      contentType: open?.blob?.contentType ?? null,
      download: open ? this.fileLinks.download(context, open) : null,
    });
  }

  @Query(() => DirectLinkType, {
    nullable: true,
    description:
      'What a direct link serves to whoever holds it and its key; null for a string that is no direct link. No sign-in needed.',
  })
  async directLink(
    @Ctx() context: RequestContext,
    @Args(() => DirectLinkArgs) { token, key }: DirectLinkArgs,
  ): Promise<DirectLinkType | null> {
    const link = await this.directLinks.open(context, token, key ?? null);
    return link && this.view(context, link);
  }

  @Authorized()
  @Mutation(() => CreateDirectLinkPayload, {
    description: 'Makes a direct link to one of the viewer’s files, good for a while, with or without a key.',
  })
  @UseMiddleware(ReportUserErrors(CreateDirectLinkPayload, { [ErrorCode.NOT_FOUND]: ['input', 'fileId'] }))
  async createDirectLink(
    @Ctx() context: RequestContext,
    @Arg('input', () => CreateDirectLinkInput, { description: INPUT }) input: CreateDirectLinkInput,
  ): Promise<Payload<CreateDirectLinkPayload>> {
    const fileId = localIdOf(input.fileId, [IdType.FILE], 'file', ['input', 'fileId']);
    const link = await this.directLinks.create(context, callerOf(context), fileId, input);
    return { link: this.view(context, link) };
  }

  @Authorized()
  @Mutation(() => SaveDirectLinkPayload, {
    description:
      'Copies the file behind a direct link into the viewer’s drive (Netdisk `storage`). LINK_EXPIRED, LINK_KEY_INVALID, NOT_FOUND (its file is gone), NAME_TAKEN (the folder has that name, even for the same file).',
  })
  @UseMiddleware(
    ReportUserErrors(SaveDirectLinkPayload, {
      [ErrorCode.LINK_EXPIRED]: ['input', 'token'],
      [ErrorCode.LINK_KEY_INVALID]: ['input', 'key'],
      [ErrorCode.NOT_FOUND]: ['input', 'token'],
      [ErrorCode.NAME_TAKEN]: ['input', 'folder'],
    }),
  )
  async saveDirectLink(
    @Ctx() context: RequestContext,
    @Arg('input', () => SaveDirectLinkInput, { description: INPUT }) input: SaveDirectLinkInput,
  ): Promise<Payload<SaveDirectLinkPayload>> {
    const file = await this.directLinks.save(
      context,
      callerOf(context),
      input.token,
      input.key ?? null,
      input.folder,
    );
    return { file: FileType.from(file) };
  }
}
