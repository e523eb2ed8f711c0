import { Args, Authorized, Ctx, FieldResolver, Float, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../context';
import type { User } from '../entities/user.entity';
import { SetStorageQuotaArgs } from '../schema/quota.args';
import { UserType } from '../schema/user.type';
import type { QuotaService } from '../services/quota.service';
import { callerOf } from './caller';

@Resolver(() => UserType)
export class QuotaResolver {
  constructor(private readonly quota: QuotaService) {}

  @FieldResolver(() => Float, {
    nullable: true,
    description: 'The most bytes the account may keep; null for unlimited.',
  })
  quotaBytes(@Root() user: User): number | null {
    return this.quota.quotaOf(user);
  }

  @Authorized()
  @Mutation(() => UserType, {
    description:
      'Sets the storage quota of an account; administrators only (`users.is_admin`, set in the database).',
  })
  setStorageQuota(
    @Ctx() context: RequestContext,
    @Args(() => SetStorageQuotaArgs) args: SetStorageQuotaArgs,
  ) {
    return this.quota.setQuota(context, callerOf(context), args.userName, args.quotaBytes ?? null);
  }
}
