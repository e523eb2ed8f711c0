import { Field, ID, ObjectType } from 'type-graphql';
import { UserType } from './user.type';
import { PayloadType } from './user-error';

@ObjectType('RegisterPayload', { description: 'What `register` did.' })
export class RegisterPayload extends PayloadType {
  @Field(() => UserType, {
    nullable: true,
    description: 'The new account; null on failure. Sign in with `login`.',
  })
  user: UserType | null = null;
}

@ObjectType('LoginPayload', { description: 'What `login` did.' })
export class LoginPayload extends PayloadType {
  @Field(() => String, {
    nullable: true,
    description:
      'The session’s bearer token, 32 lowercase hex characters: send `Authorization: Bearer <token>`. Shown only now; null on failure.',
  })
  token: string | null = null;

  @Field(() => Date, { nullable: true, description: 'When the session ends by itself; null on failure.' })
  expiresAt: Date | null = null;

  @Field(() => UserType, { nullable: true, description: 'The account signed in; null on failure.' })
  viewer: UserType | null = null;
}

@ObjectType('LogoutPayload', { description: 'What `logout` did.' })
export class LogoutPayload extends PayloadType {
  @Field(() => [ID], { description: 'The id of the session that ended.' })
  deletedIds: string[] = [];
}

@ObjectType('ChangePasswordPayload', { description: 'What `changePassword` did.' })
export class ChangePasswordPayload extends PayloadType {
  @Field(() => UserType, { nullable: true, description: 'The account; null on failure.' })
  viewer: UserType | null = null;

  @Field(() => [ID], { description: 'The ids of the other sessions that ended with the old password.' })
  deletedIds: string[] = [];
}

@ObjectType('RevokeSessionPayload', { description: 'What `revokeSession` did.' })
export class RevokeSessionPayload extends PayloadType {
  @Field(() => [ID], { description: 'The id of the session that ended, if it did.' })
  deletedIds: string[] = [];
}

@ObjectType('SetStorageQuotaPayload', { description: 'What `setStorageQuota` did.' })
export class SetStorageQuotaPayload extends PayloadType {
  @Field(() => UserType, { nullable: true, description: 'The account with its new quota; null on failure.' })
  user: UserType | null = null;
}

@ObjectType('RequestPasswordResetPayload', {
  description:
    'What `requestPasswordReset` did: the same for every well-formed address, so that it tells nobody which addresses have accounts.',
})
export class RequestPasswordResetPayload extends PayloadType {}

@ObjectType('ResetPasswordPayload', { description: 'What `resetPassword` did.' })
export class ResetPasswordPayload extends PayloadType {
  @Field(() => String, {
    nullable: true,
    description: 'The account’s user name, to sign in with; null on failure.',
  })
  userName: string | null = null;
}
