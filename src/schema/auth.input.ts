import { IsEmail, IsOptional, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { Field, ID, InputType, registerEnumType } from 'type-graphql';
import { MD5_HEX } from './drive-item.input';
import { ByteCountScalar } from './scalars';
import { IsUserName } from './validators';

@InputType('PasswordInput', {
  description:
    'A password: give `password`, or `passwordMd5` (the md5 hex of the password, as spec-001 clients send it), not both.',
})
export class PasswordInput {
  @Field(() => String, { nullable: true, description: 'The password itself, 1 to 1 024 characters.' })
  @IsOptional()
  @Length(1, 1024)
  password?: string;

  @Field(() => String, { nullable: true, description: 'The md5 of the password, 32 hex characters.' })
  @IsOptional()
  @Matches(MD5_HEX, { message: 'passwordMd5 must be 32 hex characters' })
  passwordMd5?: string;
}

@InputType('RegisterInput', { description: 'A new account.' })
export class RegisterInput extends PasswordInput {
  @Field(() => String, {
    description: '1 to 32 characters, unique in any letter case; no `/`, control characters or outer spaces.',
  })
  @IsUserName()
  userName!: string;

  @Field(() => String, { description: 'The name shown to others, 1 to 32 characters.' })
  @Length(1, 32)
  nickName!: string;

  @Field(() => String, { nullable: true, description: 'An e-mail address, unique when given.' })
  @IsOptional()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid e-mail address' })
  email?: string;

  @Field(() => String, { nullable: true, description: 'At most 16 digits, spaces, dashes or parentheses.' })
  @IsOptional()
  @Matches(/^\+?[0-9 ()-]{1,16}$/, { message: 'phone must be at most 16 digits, spaces or dashes' })
  @MaxLength(16)
  phone?: string;
}

export enum SessionTokenKind {
  OPAQUE = 'OPAQUE',
  JWT = 'JWT',
}

registerEnumType(SessionTokenKind, {
  name: 'SessionTokenKind',
  description: 'The form of a session’s bearer token; either is sent as `Authorization: Bearer <token>`.',
  valuesConfig: {
    OPAQUE: { description: '32 random lowercase hex characters.' },
    JWT: { description: 'A JWT (HS256) whose `jti` is the session’s, as Netdisk clients carry one.' },
  },
});

@InputType('LoginInput', { description: 'An account’s name and password.' })
export class LoginInput extends PasswordInput {
  @Field(() => String, { description: 'The user name, in any letter case.' })
  @Length(1, 32)
  userName!: string;

  @Field(() => Boolean, { defaultValue: false, description: 'Keep the session for 30 days instead of one.' })
  remember!: boolean;

  @Field(() => SessionTokenKind, { defaultValue: SessionTokenKind.OPAQUE, description: 'The token’s form.' })
  tokenKind!: SessionTokenKind;
}

@InputType('RequestPasswordResetInput', { description: 'The address of an account that lost its password.' })
export class RequestPasswordResetInput {
  @Field(() => String, { description: 'An e-mail address.' })
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid e-mail address' })
  email!: string;
}

@InputType('ResetPasswordInput', { description: 'A reset token from the mail, and the new password.' })
export class ResetPasswordInput extends PasswordInput {
  @Field(() => String, { description: 'The token of the link in the mail (`token=` in it).' })
  @Length(1, 64)
  token!: string;
}

@InputType('ChangePasswordInput', { description: 'The current password and the one to replace it.' })
export class ChangePasswordInput {
  @Field(() => PasswordInput, { description: 'The password now.' })
  @ValidateNested()
  current!: PasswordInput;

  @Field(() => PasswordInput, { description: 'The new password.' })
  @ValidateNested()
  next!: PasswordInput;
}

@InputType('RevokeSessionInput', { description: 'One of the viewer’s sessions to end.' })
export class RevokeSessionInput {
  @Field(() => ID, { description: 'The session’s id (`viewer.sessions`).' })
  id!: string;
}

@InputType('SetStorageQuotaInput', { description: 'An account’s storage quota.' })
export class SetStorageQuotaInput {
  @Field(() => String, { description: 'The account’s user name, in any letter case.' })
  @Length(1, 32)
  userName!: string;

  @Field(() => ByteCountScalar, {
    nullable: true,
    description: 'The most bytes the account may keep; null returns it to DEFAULT_QUOTA_BYTES.',
  })
  quotaBytes?: number | null;
}
