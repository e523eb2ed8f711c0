import type { Redis } from 'ioredis';
import type { AttemptCounter } from '../cache/attempt-counter';
import type { KeyValueCache } from '../cache/key-value.cache';
import type { BlobStore } from '../storage/blob-store';
import { AuthService } from './auth.service';
import { BlobService } from './blob.service';
import { NodeLinks } from './node-links';
import { NodeService } from './node.service';
import { PictureShareService } from './picture-share.service';
import { RankingService } from './ranking.service';
import { ShareLinks } from './share-links';
import { ShareService } from './share.service';
import { UploadService } from './upload.service';
import { UrlSigner } from './url-signer';

export interface ServiceDependencies {
  cache: KeyValueCache;
  loginFailures: AttemptCounter;
  store: BlobStore;
  secret: string;
  publicUrl: string;
  maxUploadBytes: number;
  /** Keeps the download ranking; null answers it from Postgres alone. */
  redis: Redis | null;
}

export interface Services {
  auth: AuthService;
  blobs: BlobService;
  nodes: NodeService;
  uploads: UploadService;
  signer: UrlSigner;
  links: NodeLinks;
  shares: ShareService;
  ranking: RankingService;
  pictureShares: PictureShareService;
  shareLinks: ShareLinks;
}

export function createServices(dependencies: ServiceDependencies): Services {
  const signer = new UrlSigner(dependencies.secret, dependencies.publicUrl);
  const blobs = new BlobService(dependencies.store);
  const nodes = new NodeService(blobs);
  const ranking = new RankingService(dependencies.redis);
  return {
    auth: new AuthService(dependencies.cache, dependencies.loginFailures),
    blobs,
    nodes,
    uploads: new UploadService(blobs, nodes, dependencies.maxUploadBytes),
    signer,
    links: new NodeLinks(signer),
    shares: new ShareService(nodes, blobs, ranking),
    ranking,
    pictureShares: new PictureShareService(nodes),
    shareLinks: new ShareLinks(signer),
  };
}
