import type { Redis } from 'ioredis';
import type { KeyValueCache } from '../cache/key-value.cache';
import type { BlobStore } from '../storage/blob-store';
import { BlobService, type TemporaryOwners } from './blob.service';
import { AttemptLimiter } from '../cache/attempt-limiter';
import { ApiTokenService } from './api-token.service';
import { AuthService, LOGIN_WINDOW_SECONDS, REGISTER_WINDOW_SECONDS } from './auth.service';
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
import { DirectLinkService } from './direct-link.service';
import type { MailService } from './mail.service';
import { PasswordResetService } from './password-reset.service';
import { ImageUploadService, type ImageUploadSettings } from './image-upload.service';
import { TokenSigner } from './signed-tokens';

export interface ServiceDependencies {
  cache: KeyValueCache;
  mail: MailService;
  /** Attempts per window: LOGIN_ACCOUNT_LIMIT, LOGIN_IP_LIMIT and REGISTER_IP_LIMIT. */
  authLimits: { loginPerAccount: number; loginPerAddress: number; registrationsPerAddress: number };
  /** COUNT_LIMIT_PER_MINUTE: what one client may add to one counter of one object in a minute. */
  countsPerMinute: number;
  store: BlobStore;
  /** Who writes temporary objects, and whether they live: this process's lease. */
  temporaryOwners: TemporaryOwners;
  secret: string;
  maxUploadBytes: number;
  /** DEFAULT_QUOTA_BYTES; null for unlimited. */
  defaultQuotaBytes: number | null;
  /** Keeps the download ranking and the attempt limits; null: Postgres and process memory alone. */
  redis: Redis | null;
  /** The sm.ms doors' images: SM_ANONYMOUS, SM_MAX_BYTES, SM_MAX_PIXELS, and uploads per address. */
  images: ImageUploadSettings & { perMinute: number; perDay: number };
}

export interface Services {
  auth: AuthService;
  apiTokens: ApiTokenService;
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
  passwordResets: PasswordResetService;
  directLinks: DirectLinkService;
  imageUploads: ImageUploadService;
  mail: MailService;
}

export function createServices(dependencies: ServiceDependencies): Services {
  const { authLimits, redis } = dependencies;
  const signer = new UrlSigner(dependencies.secret);
  const blobs = new BlobService(dependencies.store, dependencies.temporaryOwners);
  const quota = new QuotaService(dependencies.defaultQuotaBytes);
  const limiter = (name: string, attempts: number, seconds: number) =>
    new AttemptLimiter(name, { attempts, seconds }, redis);
  const counts = new CountLimiter(limiter('counts', dependencies.countsPerMinute, 60));
  const drive = new DriveService(blobs, quota, counts);
  const auth = new AuthService(
    dependencies.cache,
    {
      loginByAccount: limiter('login-account', authLimits.loginPerAccount, LOGIN_WINDOW_SECONDS),
      loginByAddress: limiter('login-address', authLimits.loginPerAddress, LOGIN_WINDOW_SECONDS),
      registerByAddress: limiter(
        'register-address',
        authLimits.registrationsPerAddress,
        REGISTER_WINDOW_SECONDS,
      ),
    },
    new TokenSigner(dependencies.secret, 'session'),
  );
  const ranking = new RankingService(redis);
  return {
    auth,
    apiTokens: new ApiTokenService(dependencies.cache, auth),
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
    passwordResets: new PasswordResetService(auth, dependencies.mail, {
      mailsByAddress: limiter('reset-mails', 3, 60 * 60),
      requestsByClient: limiter('reset-requests', 20, 60 * 60),
    }),
    directLinks: new DirectLinkService(
      drive,
      blobs,
      quota,
      new TokenSigner(dependencies.secret, 'direct-link'),
      dependencies.secret,
    ),
    imageUploads: new ImageUploadService(
      blobs,
      drive,
      quota,
      {
        perMinute: limiter('image-uploads-minute', dependencies.images.perMinute, 60),
        perDay: limiter('image-uploads-day', dependencies.images.perDay, 24 * 60 * 60),
      },
      dependencies.images,
      dependencies.secret,
    ),
    mail: dependencies.mail,
  };
}
