import { IsEmail, IsOptional, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { IsUserName } from './validators';

const MD5_HEX = /^[0-9a-fA-F]{32}$/;

@InputType({
  description: 'Give `password`, or `passwordMd5` (the md5 hex of the password) as legacy clients do.',
})
export class PasswordInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 1024)
  password?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(MD5_HEX, { message: 'passwordMd5 must be 32 hex characters' })
  passwordMd5?: string;
}

@InputType()
export class RegisterInput extends PasswordInput {
  @Field(() => String)
  @IsUserName()
  userName!: string;

  @Field(() => String)
  @Length(1, 32)
  nickName!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid e-mail address' })
  email?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(/^\+?[0-9 ()-]{1,16}$/, { message: 'phone must be at most 16 digits, spaces or dashes' })
  @MaxLength(16)
  phone?: string;
}

@InputType()
export class LoginInput extends PasswordInput {
  @Field(() => String)
  @Length(1, 32)
  userName!: string;

  @Field(() => Boolean, { defaultValue: false, description: 'Keep the session for 30 days instead of one.' })
  remember!: boolean;
}

@InputType()
export class ChangePasswordInput {
  @Field(() => PasswordInput)
  @ValidateNested()
  current!: PasswordInput;

  @Field(() => PasswordInput)
  @ValidateNested()
  next!: PasswordInput;
}
