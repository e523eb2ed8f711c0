import { IsOptional, Length } from 'class-validator';
import { Field, ID, InputType, type ClassType } from 'type-graphql';
import { ApiTokenScope, ISSUED_TOKEN_NAME, MAX_API_TOKEN_NAME_LENGTH } from '../services/api-token.service';
import { PasswordInput } from './auth.input';
import { IsApiTokenName } from './validators';

const NAME_RULE = `1 to ${MAX_API_TOKEN_NAME_LENGTH} characters, no control characters or outer spaces, unique among the account’s tokens in any letter case`;

/** The scope and expiry, which both ways of making a token take. */
function withTokenTerms<Base extends ClassType>(Base: Base) {
  @InputType()
  class WithTokenTerms extends Base {
    @Field(() => ApiTokenScope, { description: 'What the token may do.' })
    scope!: ApiTokenScope;

    @Field(() => Date, {
      nullable: true,
      description: 'When it stops working by itself, in the future; null or absent for never.',
    })
    @IsOptional()
    expiresAt?: Date | null;
  }
  return WithTokenTerms;
}

@InputType('CreateApiTokenInput', { description: 'A new API token of the viewer’s.' })
export class CreateApiTokenInput extends withTokenTerms(Object) {
  @Field(() => String, { description: `Its name: ${NAME_RULE}.` })
  @IsApiTokenName()
  name!: string;
}

@InputType('IssueApiTokenInput', {
  description: 'An account’s name and password (as `login` takes them), and the API token to make.',
})
export class IssueApiTokenInput extends withTokenTerms(PasswordInput) {
  @Field(() => String, { description: 'The user name, in any letter case.' })
  @Length(1, 32)
  userName!: string;

  @Field(() => String, {
    nullable: true,
    description: `Its name: ${NAME_RULE}. Absent or null: "${ISSUED_TOKEN_NAME}", or "${ISSUED_TOKEN_NAME} (2)", "${ISSUED_TOKEN_NAME} (3)"… when that is taken, so that each call makes a token of its own and earlier ones keep working.`,
  })
  @IsOptional()
  @IsApiTokenName()
  name?: string | null;
}

@InputType('RevokeApiTokenInput', { description: 'One of the viewer’s API tokens to revoke.' })
export class RevokeApiTokenInput {
  @Field(() => ID, { description: 'The token’s id (`viewer.apiTokens`); a session’s id is refused.' })
  id!: string;
}
