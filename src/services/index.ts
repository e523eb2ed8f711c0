import type { Redis } from 'ioredis';
import type { KeyValueCache } from '../cache/key-value.cache';
import type { BlobStore } from '../storage/blob-store';
import { AttemptLimiter } from '../cache/attempt-limiter';
import { AuthService, LOGIN_WINDOW_SECONDS, REGISTER_WINDOW_SECONDS } from './auth.service';
import { BlobService } from './blob.service';
import { NodeLinks } from './node-links';
import { NodeService } from './node.service';
import { PictureShareService } from './picture-share.service';
import { QuotaService } from './quota.service';
import { RankingService } from './ranking.service';
import { ShareLinks } from './share-links';
import { ShareService } from './share.service';
import { UploadService } from './upload.service';
import { UrlSigner } from './url-signer';

export interface ServiceDependencies {
  cache: KeyValueCache;
  /** Attempts per window: LOGIN_ACCOUNT_LIMIT, LOGIN_IP_LIMIT and REGISTER_IP_LIMIT. */
  authLimits: { loginPerAccount: number; loginPerAddress: number; registrationsPerAddress: number };
  store: BlobStore;
  secret: string;
  maxUploadBytes: number;
  /** DEFAULT_QUOTA_BYTES; null for unlimited. */
  defaultQuotaBytes: number | null;
  /** Keeps the download ranking and the attempt limits; null: Postgres and process memory alone. */
  redis: Redis | null;
}

export interface Services {
  auth: AuthService;
  quota: QuotaService;
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
  const { authLimits, redis } = dependencies;
  const signer = new UrlSigner(dependencies.secret);
  const blobs = new BlobService(dependencies.store);
  const quota = new QuotaService(dependencies.defaultQuotaBytes);
  const nodes = new NodeService(blobs, quota);
  const ranking = new RankingService(redis);
  return {
    auth: new AuthService(dependencies.cache, {
      loginByAccount: new AttemptLimiter(
        'login-account',
        { attempts: authLimits.loginPerAccount, seconds: LOGIN_WINDOW_SECONDS },
        redis,
      ),
      loginByAddress: new AttemptLimiter(
        'login-address',
        { attempts: authLimits.loginPerAddress, seconds: LOGIN_WINDOW_SECONDS },
        redis,
      ),
      registerByAddress: new AttemptLimiter(
        'register-address',
        { attempts: authLimits.registrationsPerAddress, seconds: REGISTER_WINDOW_SECONDS },
        redis,
      ),
    }),
    quota,
    blobs,
    nodes,
    uploads: new UploadService(blobs, nodes, quota, dependencies.maxUploadBytes),
    signer,
    links: new NodeLinks(signer),
    shares: new ShareService(nodes, blobs, ranking, quota),
    ranking,
    pictureShares: new PictureShareService(nodes),
    shareLinks: new ShareLinks(),
  };
}
