import type { ContainerType } from 'type-graphql';
import type { Services } from '../services';
import { AuthResolver } from './auth.resolver';
import { NodeResolver } from './node.resolver';
import { PictureShareResolver } from './picture-share.resolver';
import { QuotaResolver } from './quota.resolver';
import { RankingResolver } from './ranking.resolver';
import { NodeSharedResolver, ShareResolver } from './share.resolver';
import { UploadResolver } from './upload.resolver';

export const resolverClasses = [
  AuthResolver,
  QuotaResolver,
  NodeResolver,
  UploadResolver,
  ShareResolver,
  NodeSharedResolver,
  RankingResolver,
  PictureShareResolver,
] as const;

/** Hands type-graphql one resolver instance per class, each built with the services it needs. */
export function createResolverContainer(services: Services): ContainerType {
  const instances = new Map<unknown, object>([
    [AuthResolver, new AuthResolver(services.auth)],
    [QuotaResolver, new QuotaResolver(services.quota)],
    [NodeResolver, new NodeResolver(services.nodes, services.links)],
    [UploadResolver, new UploadResolver(services.uploads, services.links)],
    [ShareResolver, new ShareResolver(services.shares, services.shareLinks, services.links)],
    [NodeSharedResolver, new NodeSharedResolver(services.shares)],
    [RankingResolver, new RankingResolver(services.ranking)],
    [PictureShareResolver, new PictureShareResolver(services.pictureShares, services.shareLinks)],
  ]);
  return {
    get(resolverClass) {
      const instance = instances.get(resolverClass);
      if (!instance) throw new Error(`No instance registered for resolver ${String(resolverClass)}`);
      return instance;
    },
  };
}
