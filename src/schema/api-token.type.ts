import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { ApiTokenScope, type ApiTokenView } from '../services/api-token.service';
import { IdType, toGlobalId } from './global-id';
import { connectionOf, NodeInterface } from './relay';

registerEnumType(ApiTokenScope, {
  name: 'ApiTokenScope',
  description: 'What an API token may do.',
  valuesConfig: {
    UPLOAD: {
      description:
        'Upload, and list and delete its own uploads; nothing else: everything else answers as if it were signed out.',
    },
    FULL: { description: 'Whatever a login session may do.' },
  },
});

@ObjectType('ApiToken', {
  implements: NodeInterface,
  description:
    'A named API token of the viewer, for a program to send as `Authorization: Bearer <token>`. It is no session: `viewer.sessions` does not list it and `logout` does not end it. The token itself was shown once, when it was made.',
})
export class ApiTokenType extends NodeInterface {
  @Field(() => String, { description: 'Its name, unique among the viewer’s tokens in any letter case.' })
  name!: string;

  @Field(() => ApiTokenScope, { description: 'What it may do.' })
  scope!: ApiTokenScope;

  @Field(() => Date, { description: 'When it was made.' })
  createdAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'When it stops working, and leaves the list; null for never.',
  })
  expiresAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When a request last used it (within a minute: it is cached); null before its first use.',
  })
  lastUsedAt!: Date | null;

  static from(apiToken: ApiTokenView): ApiTokenType {
    return Object.assign(new ApiTokenType(), { ...apiToken, id: toGlobalId(IdType.API_TOKEN, apiToken.id) });
  }
}

export const ApiTokenConnection = connectionOf('ApiToken', ApiTokenType, 'API token');
export type ApiTokenConnection = InstanceType<typeof ApiTokenConnection>;
