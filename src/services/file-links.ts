import type { RequestContext } from '../context';
import type { DriveItem } from '../entities/drive-item.entity';
import type { UrlSigner } from './url-signer';

/** How long a private download URL works at least, and the window its expiry is rounded up to. */
export const DOWNLOAD_URL_LIFETIME_SECONDS = 24 * 60 * 60;
export const DOWNLOAD_URL_WINDOW_SECONDS = 60 * 60;

/** A private download URL and the moment it stops working. */
export interface SignedLink {
  url: string;
  expiresAt: Date;
}

/**
 * The owner's download URL of a file: `/files/<id>/<name>?exp=&sig=`, signed and expiring. The expiry
 * is rounded up to a whole window, so that within one window a file has one URL, and browser and CDN
 * caches keep hitting it.
 */
export class FileLinks {
  constructor(private readonly signer: UrlSigner) {}

  download(context: RequestContext, file: DriveItem, now = Date.now()): SignedLink {
    const earliest = Math.floor(now / 1000) + DOWNLOAD_URL_LIFETIME_SECONDS;
    const expires = Math.ceil(earliest / DOWNLOAD_URL_WINDOW_SECONDS) * DOWNLOAD_URL_WINDOW_SECONDS;
    const url = `${context.baseUrl}/files/${file.id}/${encodeURIComponent(file.name)}`;
    return {
      url: this.signer.sign(url, signedPartOf(file.id), expires),
      expiresAt: new Date(expires * 1000),
    };
  }
}

/** What the signature of a file URL covers: the file, not its name, so a rename keeps links working. */
export const signedPartOf = (fileId: string) => `files/${fileId}`;
