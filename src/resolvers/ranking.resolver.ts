import { Args, Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context';
import { RankingPageArgs } from '../schema/share.args';
import { RankingPageType } from '../schema/share.type';
import type { RankingService } from '../services/ranking.service';

@Resolver()
export class RankingResolver {
  constructor(private readonly ranking: RankingService) {}

  @Query(() => RankingPageType, { description: 'Public shares by downloads, most first; ties newest first.' })
  downloadRanking(
    @Ctx() context: RequestContext,
    @Args(() => RankingPageArgs) args: RankingPageArgs,
  ): Promise<RankingPageType> {
    return this.ranking.page(context, args.offset, args.limit);
  }
}
