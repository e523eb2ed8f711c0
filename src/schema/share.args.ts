import { IsInt, Max, Min } from 'class-validator';
import { ArgsType, Field, ID, Int } from 'type-graphql';
import { MAX_PAGE_SIZE, OffsetArgs } from './page.args';
import { IsFolderPath } from './validators';

@ArgsType()
export class RankingPageArgs extends OffsetArgs {
  @Field(() => Int, { defaultValue: 10 })
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit!: number;
}

/** A share id; one of the wrong shape is simply not found. */
@ArgsType()
export class ShareIdArgs {
  @Field(() => ID)
  shareId!: string;
}

@ArgsType()
export class SaveSharedFileArgs extends ShareIdArgs {
  @Field(() => String, { defaultValue: '/', description: 'Missing folders are created.' })
  @IsFolderPath()
  folder!: string;
}

/** A picture-share key; one of the wrong shape is simply not found. */
@ArgsType()
export class PictureKeyArgs {
  @Field(() => String)
  key!: string;
}
