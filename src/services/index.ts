import type { Redis } from 'ioredis';
import type { KeyValueCache } from '../cache/key-value.cache';
import type { BlobStore } from '../storage/blob-store';
import { AttemptLimiter } from '../cache/attempt-limiter';
import { AuthService, LOGIN_WINDOW_SECONDS, REGISTER_WINDOW_SECONDS } from './auth.service';
import { BlobService } from './blob.service';
import { CountLimiter } from './count-limiter';
import { FileLinks } from './file-links';
import { DriveService } from './drive.service';
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
  /** COUNT_LIMIT_PER_MINUTE: what one client may add to one counter of one object in a minute. */
  countsPerMinute: number;
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
  drive: DriveService;
  uploads: UploadService;
  signer: UrlSigner;
  fileLinks: FileLinks;
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
  const counts = new CountLimiter(
    new AttemptLimiter('counts', { attempts: dependencies.countsPerMinute, seconds: 60 }, redis),
  );
  const drive = new DriveService(blobs, quota, counts);
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
    drive,
    uploads: new UploadService(blobs, drive, quota, dependencies.maxUploadBytes),
    signer,
    fileLinks: new FileLinks(signer),
    shares: new ShareService(drive, blobs, ranking, quota, counts),
    ranking,
    pictureShares: new PictureShareService(drive, counts),
    shareLinks: new ShareLinks(),
  };
}
