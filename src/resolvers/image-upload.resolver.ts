import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver, UseMiddleware } from 'type-graphql';
import type { RequestContext } from '../context';
import { ErrorCode } from '../schema/error-code';
import { IdType, toGlobalId } from '../schema/global-id';
import { DeleteImageInput, UploadImageInput } from '../schema/image-upload.input';
import {
  ClearRecentImageUploadsPayload,
  DeleteImagePayload,
  UploadImagePayload,
} from '../schema/image-upload.payload';
import { ImageUploadConnection, ImageUploadType } from '../schema/image-upload.type';
import { ConnectionArgs } from '../schema/relay';
import { INPUT, type Payload } from '../schema/user-error';
import type { ImageUploadService } from '../services/image-upload.service';
import { UPLOAD, uploaderOf } from './caller';
import { ReportUserErrors } from './user-errors';

const ON_FILE = ['input', 'file'];

/** Image uploads, as the sm.ms doors make and list them. */
@Resolver(() => ImageUploadType)
export class ImageUploadResolver {
  constructor(private readonly images: ImageUploadService) {}

  @Mutation(() => UploadImagePayload, {
    description:
      'Uploads an image: into the viewer’s folder `/sm.ms`, or, without sign-in and while SM_ANONYMOUS allows it, as an anonymous upload. Only JPEG, PNG, GIF, BMP and WebP whose bytes and name agree, complete, within SM_MAX_BYTES and SM_MAX_PIXELS; limited per client address a minute and a day. An image the viewer already has answers that upload (`repeated`).',
  })
  @UseMiddleware(
    ReportUserErrors(UploadImagePayload, {
      [ErrorCode.BAD_USER_INPUT]: ON_FILE,
      [ErrorCode.UNSUPPORTED_TYPE]: ON_FILE,
      [ErrorCode.PAYLOAD_TOO_LARGE]: ON_FILE,
      [ErrorCode.QUOTA_EXCEEDED]: ON_FILE,
    }),
  )
  async uploadImage(
    @Ctx() context: RequestContext,
    @Arg('input', () => UploadImageInput, { description: INPUT }) input: UploadImageInput,
  ): Promise<Payload<UploadImagePayload>> {
    const upload = await input.file;
    const { upload: image, repeated } = await this.images.upload(
      context,
      context.uploader,
      upload.createReadStream(),
      upload.filename ?? '',
    );
    return { image: ImageUploadType.from(image, context.baseUrl), repeated };
  }

  @Mutation(() => DeleteImagePayload, {
    description:
      'Deletes an image, and its file, by its delete token: whoever holds the token may. Its URL stops working. No sign-in needed.',
  })
  @UseMiddleware(ReportUserErrors(DeleteImagePayload, { [ErrorCode.NOT_FOUND]: ['input', 'deleteToken'] }))
  async deleteImage(
    @Ctx() context: RequestContext,
    @Arg('input', () => DeleteImageInput, { description: INPUT }) input: DeleteImageInput,
  ): Promise<Payload<DeleteImagePayload>> {
    const deleted = await this.images.deleteByToken(context, input.deleteToken);
    return {
      deletedIds: [toGlobalId(IdType.IMAGE_UPLOAD, deleted.id), toGlobalId(IdType.FILE, deleted.fileId)],
    };
  }

  @Query(() => [ImageUploadType], {
    description:
      'The images uploaded from this client address in the last hour and not cleared since, newest first, at most 100 (sm.ms `list`). No sign-in needed.',
  })
  async recentImageUploads(@Ctx() context: RequestContext): Promise<ImageUploadType[]> {
    const uploads = await this.images.recentFromAddress(context);
    return uploads.map((upload) => ImageUploadType.from(upload, context.baseUrl));
  }

  @Mutation(() => ClearRecentImageUploadsPayload, {
    description:
      'Empties `recentImageUploads` for this client address; the images stay (sm.ms `clear`). No sign-in needed.',
  })
  async clearRecentImageUploads(@Ctx() context: RequestContext): Promise<ClearRecentImageUploadsPayload> {
    await this.images.clearAddressHistory(context);
    return new ClearRecentImageUploadsPayload();
  }

  @Authorized(UPLOAD)
  @Query(() => ImageUploadConnection, {
    description:
      'The viewer’s image uploads, newest first: with an API token, those it uploaded (an UPLOAD token may list them).',
  })
  async myImageUploads(
    @Ctx() context: RequestContext,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
  ): Promise<ImageUploadConnection> {
    const listing = await this.images.listMine(context, uploaderOf(context), page);
    return ImageUploadConnection.from(listing, (upload) => ImageUploadType.from(upload, context.baseUrl));
  }
}
