import { Field, Float, ID, ObjectType } from 'type-graphql';

@ObjectType('User', { description: 'An account. Contact details are shown only to their owner.' })
export class UserType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  userName!: string;

  @Field(() => String)
  nickName!: string;

  @Field(() => String, { nullable: true })
  email!: string | null;

  @Field(() => String, { nullable: true })
  phone!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Float, { description: 'Bytes the account’s files take, each counted in full.' })
  usedBytes!: number;
}

@ObjectType('AuthPayload')
export class AuthPayloadType {
  @Field(() => String, {
    description: '32 lowercase hex characters; send it as `Authorization: Bearer <token>`.',
  })
  token!: string;

  @Field(() => Date)
  expiresAt!: Date;

  @Field(() => UserType)
  user!: UserType;
}
