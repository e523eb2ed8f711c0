import type { FileUpload } from 'graphql-upload-minimal';
import { Arg, Args, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../context';
import { InstantUploadArgs, UploadFileArgs } from '../schema/node.args';
import { NodeType } from '../schema/node.type';
import { UploadScalar } from '../schema/upload.scalar';
import type { NodeLinks } from '../services/node-links';
import type { UploadService } from '../services/upload.service';
import { callerOf } from './caller';

@Resolver()
export class UploadResolver {
  constructor(
    private readonly uploads: UploadService,
    private readonly links: NodeLinks,
  ) {}

  @Authorized()
  @Mutation(() => NodeType, {
    description:
      'Uploads one file (GraphQL multipart request spec; send `Apollo-Require-Preflight: true`). ' +
      'Identical content is stored once.',
  })
  async uploadFile(
    @Ctx() context: RequestContext,
    @Arg('file', () => UploadScalar) file: Promise<FileUpload>,
    @Args(() => UploadFileArgs) args: UploadFileArgs,
  ): Promise<NodeType> {
    const caller = callerOf(context);
    const upload = await file;
    const node = await this.uploads.upload(context, caller, upload.createReadStream(), {
      // A part may carry no file name at all; '' is then refused as a name like any other bad one.
      name: args.name ?? upload.filename ?? '',
      folder: args.folder,
      onConflict: args.onConflict,
      // An explicit null is how GraphQL clients say "not given".
      md5: args.md5 ?? undefined,
      size: args.size ?? undefined,
    });
    return NodeType.from(node, this.links.downloadUrl(context, node));
  }

  @Authorized()
  @Mutation(() => NodeType, {
    description: 'Adds a file from content the server already has, by md5: no bytes are sent.',
  })
  async instantUpload(
    @Ctx() context: RequestContext,
    @Args(() => InstantUploadArgs) args: InstantUploadArgs,
  ): Promise<NodeType> {
    const node = await this.uploads.instantUpload(context, callerOf(context), args);
    return NodeType.from(node, this.links.downloadUrl(context, node));
  }
}
