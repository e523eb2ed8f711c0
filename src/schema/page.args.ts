import { IsInt, Max, Min } from 'class-validator';
import { ArgsType, Field, Int } from 'type-graphql';

export const MAX_PAGE_SIZE = 1000;

@ArgsType()
export class OffsetArgs {
  @Field(() => Int, { defaultValue: 0 })
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  offset!: number;
}

/** An offset page of at most MAX_PAGE_SIZE items, 50 unless asked otherwise. */
@ArgsType()
export class PageArgs extends OffsetArgs {
  @Field(() => Int, { defaultValue: 50 })
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit!: number;
}
