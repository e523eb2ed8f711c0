import type { UrlSigner } from './url-signer';

/** The public URLs of shares: they carry no signature, and die with the share. */
export class ShareLinks {
  constructor(private readonly signer: UrlSigner) {}

  /** `/s/<shareId>/<name>`: the name only makes the URL readable; the share id finds the file. */
  sharedFileUrl(share: { id: string; name: string }): string {
    return this.signer.absolute(`/s/${share.id}/${encodeURIComponent(share.name)}`);
  }

  pictureUrl(key: string): string {
    return this.signer.absolute(`/p/${key}`);
  }
}
