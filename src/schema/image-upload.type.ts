import { Field, Int, ObjectType } from 'type-graphql';
import type { ImageUploadView } from '../services/image-upload.service';
import { IdType, toGlobalId } from './global-id';
import { connectionOf, NodeInterface } from './relay';
import { ByteCountScalar, UrlScalar } from './scalars';

@ObjectType('ImageUpload', {
  implements: NodeInterface,
  description:
    'An image uploaded through the sm.ms doors (or `uploadImage`): public at its `url` until deleted, with a delete token for whoever uploaded it.',
})
export class ImageUploadType extends NodeInterface {
  @Field(() => String, { description: 'The name the image was uploaded with.' })
  filename!: string;

  @Field(() => String, {
    description: 'The name it is stored and served under: 16 random hex characters and its extension.',
  })
  storename!: string;

  @Field(() => String, {
    description: 'Its public path after `/i`: `/<yyyy>/<mm>/<dd>/<storename>` (UTC date of upload).',
  })
  path!: string;

  @Field(() => UrlScalar, {
    description:
      'The permanent public URL, `/i/<yyyy>/<mm>/<dd>/<storename>`: it works until the image is deleted.',
  })
  url!: string;

  @Field(() => ByteCountScalar, { description: 'Its length in bytes.' })
  size!: number;

  @Field(() => Int, { description: 'Width in pixels, from the image header.' })
  width!: number;

  @Field(() => Int, { description: 'Height in pixels, from the image header.' })
  height!: number;

  @Field(() => String, { description: 'Its type, from its leading bytes (`image/png`, …).' })
  contentType!: string;

  @Field(() => Date, { description: 'When it was uploaded.' })
  createdAt!: Date;

  @Field(() => String, {
    description:
      'Whoever holds it may delete the image (`deleteImage`, sm.ms `delete/<hash>`): shown to its uploader only, in their upload answers and lists.',
  })
  deleteToken!: string;

  /** The upload this object shows, for field resolvers. */
  upload!: ImageUploadView;

  static from(upload: ImageUploadView, baseUrl: string): ImageUploadType {
    return Object.assign(new ImageUploadType(), {
      id: toGlobalId(IdType.IMAGE_UPLOAD, upload.id),
      filename: upload.filename,
      storename: upload.storename,
      path: upload.path,
      url: `${baseUrl}/i${upload.path}`,
      size: upload.size,
      width: upload.width,
      height: upload.height,
      contentType: upload.contentType,
      createdAt: upload.createdAt,
      deleteToken: upload.deleteToken,
      upload,
    });
  }
}

export const ImageUploadConnection = connectionOf('ImageUpload', ImageUploadType, 'image upload');
export type ImageUploadConnection = InstanceType<typeof ImageUploadConnection>;
