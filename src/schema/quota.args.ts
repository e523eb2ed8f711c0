import { IsInt, IsOptional, Length, Max, Min } from 'class-validator';
import { ArgsType, Field, Float } from 'type-graphql';

@ArgsType()
export class SetStorageQuotaArgs {
  @Field(() => String)
  @Length(1, 32)
  userName!: string;

  @Field(() => Float, {
    nullable: true,
    description: 'The most bytes the account may keep; null returns it to DEFAULT_QUOTA_BYTES.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  quotaBytes?: number | null;
}
