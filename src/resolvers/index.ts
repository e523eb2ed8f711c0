import type { ContainerType } from 'type-graphql';
import type { Services } from '../services';
import { AccountResolver } from './account.resolver';
import { ApiTokenResolver } from './api-token.resolver';
import { DirectLinkResolver } from './direct-link.resolver';
import { DriveItemResolver } from './drive-item.resolver';
import { ImageUploadResolver } from './image-upload.resolver';
import { NodeResolver } from './node.resolver';
import { PictureShareResolver } from './picture-share.resolver';
import { ShareResolver } from './share.resolver';
import { UploadResolver } from './upload.resolver';
import { ShareViews } from './views';

export const resolverClasses = [
  NodeResolver,
  AccountResolver,
  ApiTokenResolver,
  DriveItemResolver,
  UploadResolver,
  ShareResolver,
  PictureShareResolver,
  DirectLinkResolver,
  ImageUploadResolver,
] as const;

/** Hands type-graphql one resolver instance per class, each built with the services it needs. */
export function createResolverContainer(services: Services): ContainerType {
  const views = new ShareViews(services.shareLinks);
  const instances = new Map<unknown, object>([
    [
      NodeResolver,
      new NodeResolver(
        services.drive,
        services.shares,
        services.pictureShares,
        services.auth,
        services.apiTokens,
        services.imageUploads,
        views,
      ),
    ],
    [ApiTokenResolver, new ApiTokenResolver(services.apiTokens)],
    [
      AccountResolver,
      new AccountResolver(services.auth, services.quota, services.drive, services.passwordResets),
    ],
    [DirectLinkResolver, new DirectLinkResolver(services.directLinks, services.fileLinks)],
    [
      DriveItemResolver,
      new DriveItemResolver(
        services.drive,
        services.fileLinks,
        services.shares,
        services.pictureShares,
        views,
      ),
    ],
    [UploadResolver, new UploadResolver(services.uploads)],
    [ShareResolver, new ShareResolver(services.shares, services.drive, views)],
    [PictureShareResolver, new PictureShareResolver(services.pictureShares, services.drive, views)],
    [ImageUploadResolver, new ImageUploadResolver(services.imageUploads)],
  ]);
  return {
    get(resolverClass) {
      const instance = instances.get(resolverClass);
      if (!instance) throw new Error(`No instance registered for resolver ${String(resolverClass)}`);
      return instance;
    },
  };
}
