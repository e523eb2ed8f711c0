import { Field, ID, ObjectType } from 'type-graphql';
import { ImageUploadType } from './image-upload.type';
import { PayloadType } from './user-error';

@ObjectType('UploadImagePayload', { description: 'What `uploadImage` did.' })
export class UploadImagePayload extends PayloadType {
  @Field(() => ImageUploadType, { nullable: true, description: 'The image; null on failure.' })
  image: ImageUploadType | null = null;

  @Field(() => Boolean, {
    description:
      'Whether the uploader already had this image (same bytes): then `image` is that upload, and nothing new was stored.',
  })
  repeated = false;
}

@ObjectType('DeleteImagePayload', { description: 'What `deleteImage` did.' })
export class DeleteImagePayload extends PayloadType {
  @Field(() => [ID], { description: 'The ids of the image upload and its file, if they were deleted.' })
  deletedIds: string[] = [];
}

@ObjectType('ClearRecentImageUploadsPayload', { description: 'What `clearRecentImageUploads` did.' })
export class ClearRecentImageUploadsPayload extends PayloadType {}
