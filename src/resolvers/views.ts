import type { RequestContext } from '../context';
import { PictureShareType, ShareType } from '../schema/share.type';
import type { PictureShareView } from '../services/picture-share.service';
import type { ShareLinks } from '../services/share-links';
import type { SharedFile } from '../services/share.service';

/** The GraphQL objects of shares, with the URLs the request can reach them at. */
export class ShareViews {
  constructor(private readonly links: ShareLinks) {}

  share(context: RequestContext, share: SharedFile): ShareType {
    return ShareType.from(share, this.links.sharedFileUrl(context, share));
  }

  pictureShare(context: RequestContext, share: PictureShareView): PictureShareType {
    return PictureShareType.from(share, {
      url: share.fileDeleted ? null : this.links.pictureUrl(context, share.key),
      pageUrl: this.links.picturePageUrl(context, share.key),
    });
  }
}
