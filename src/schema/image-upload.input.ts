import { Length } from 'class-validator';
import type { FileUpload } from 'graphql-upload-minimal';
import { Field, InputType } from 'type-graphql';
import { UploadScalar } from './upload.scalar';

@InputType('UploadImageInput', { description: 'An image to upload (GraphQL multipart request spec).' })
export class UploadImageInput {
  @Field(() => UploadScalar, {
    description:
      'The image’s part: JPEG, PNG, GIF, BMP or WebP, its name ending in the extension of the type its bytes are.',
  })
  file!: Promise<FileUpload>;
}

@InputType('DeleteImageInput', { description: 'The image to delete, by its delete token.' })
export class DeleteImageInput {
  @Field(() => String, { description: 'The `deleteToken` its upload answered.' })
  @Length(1, 64)
  deleteToken!: string;
}
