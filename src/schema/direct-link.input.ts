import { IsInt, IsOptional, Length, Max, Min } from 'class-validator';
import { GraphQLSafeInt } from 'graphql-scalars';
import { ArgsType, Field, ID, InputType } from 'type-graphql';
import { DEFAULT_LINK_SECONDS, MAX_LINK_SECONDS } from '../services/direct-link.service';
import { IsFolderPath } from './validators';

@ArgsType()
export class DirectLinkArgs {
  @Field(() => String, { description: 'The link’s token.' })
  @Length(1, 4096)
  token!: string;

  @Field(() => String, { nullable: true, description: 'Its key, for a link that has one.' })
  @IsOptional()
  @Length(1, 64)
  key?: string | null;
}

@InputType('CreateDirectLinkInput', { description: 'A direct link to make for one of the viewer’s files.' })
export class CreateDirectLinkInput {
  @Field(() => ID, { description: 'The file’s id.' })
  fileId!: string;

  @Field(() => GraphQLSafeInt, {
    defaultValue: DEFAULT_LINK_SECONDS,
    description: 'How long it works, in seconds: 15 minutes unless given; at most 1 000 years.',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_LINK_SECONDS)
  lifetimeSeconds!: number;

  @Field(() => String, { nullable: true, description: 'A key the link asks for; none unless given.' })
  @IsOptional()
  @Length(1, 64)
  key?: string | null;

  @Field(() => Boolean, {
    defaultValue: false,
    description: 'With no `key`, give the link a random one: six letters and digits.',
  })
  randomKey!: boolean;
}

@InputType('SaveDirectLinkInput', {
  description: 'A direct link whose file to copy into the viewer’s drive.',
})
export class SaveDirectLinkInput {
  @Field(() => String, { description: 'The link’s token.' })
  @Length(1, 4096)
  token!: string;

  @Field(() => String, { nullable: true, description: 'Its key, for a link that has one.' })
  @IsOptional()
  @Length(1, 64)
  key?: string | null;

  @Field(() => String, { defaultValue: '/', description: 'Where to put the copy; missing folders are made.' })
  @IsFolderPath()
  folder!: string;
}
