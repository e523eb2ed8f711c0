import type { RequestContext } from '../context';

/** The public URLs of shares: they carry no signature, and die with the share. */
export class ShareLinks {
  /** `/s/<shareId>/<name>`: the name only makes the URL readable; the share id finds the file. */
  sharedFileUrl(context: RequestContext, share: { id: string; name: string }): string {
    return `${context.baseUrl}/s/${share.id}/${encodeURIComponent(share.name)}`;
  }

  pictureUrl(context: RequestContext, key: string): string {
    return `${context.baseUrl}/p/${key}`;
  }

  /** The page that shows a shared picture, where the old web client opened it (spec 001 §17). */
  picturePageUrl(context: RequestContext, key: string): string {
    return `${context.baseUrl}/share?urlmd5=${key}`;
  }
}
