import { Field, ObjectType } from 'type-graphql';
import { DirectLinkType } from './direct-link.type';
import { FileType } from './drive-item.type';
import { PayloadType } from './user-error';

@ObjectType('CreateDirectLinkPayload', { description: 'What `createDirectLink` did.' })
export class CreateDirectLinkPayload extends PayloadType {
  @Field(() => DirectLinkType, {
    nullable: true,
    description: 'The new link, with its key; null on failure.',
  })
  link: DirectLinkType | null = null;
}

@ObjectType('SaveDirectLinkPayload', { description: 'What `saveDirectLink` did.' })
export class SaveDirectLinkPayload extends PayloadType {
  @Field(() => FileType, { nullable: true, description: 'The viewer’s copy; null on failure.' })
  file: FileType | null = null;
}
