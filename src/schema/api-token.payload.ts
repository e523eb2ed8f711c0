import { Field, ID, ObjectType } from 'type-graphql';
import { ApiTokenType } from './api-token.type';
import { PayloadType } from './user-error';

@ObjectType()
abstract class NewApiTokenPayload extends PayloadType {
  @Field(() => ApiTokenType, { nullable: true, description: 'The new token; null on failure.' })
  apiToken: ApiTokenType | null = null;

  @Field(() => String, {
    nullable: true,
    description:
      'The token itself, `pv_` and 40 letters and digits: send `Authorization: Bearer <token>`. Shown only now (only its hash is kept); null on failure.',
  })
  token: string | null = null;
}

@ObjectType('CreateApiTokenPayload', { description: 'What `createApiToken` did.' })
export class CreateApiTokenPayload extends NewApiTokenPayload {}

@ObjectType('IssueApiTokenPayload', { description: 'What `issueApiToken` did.' })
export class IssueApiTokenPayload extends NewApiTokenPayload {}

@ObjectType('RevokeApiTokenPayload', { description: 'What `revokeApiToken` did.' })
export class RevokeApiTokenPayload extends PayloadType {
  @Field(() => [ID], { description: 'The id of the token revoked, if it was.' })
  deletedIds: string[] = [];
}
