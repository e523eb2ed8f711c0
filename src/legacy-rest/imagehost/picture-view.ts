import type { Request } from 'express';
import type { Executor, OperationResult } from '../execute';

const VIEW_PICTURE_SHARE = /* GraphQL */ `
  mutation LegacyViewPictureShare($key: String!) {
    viewPictureShare(input: { key: $key }) {
      pictureShare {
        key
        name
        url
        sharer
        viewCount
        createdAt
      }
      userErrors {
        code
        message
      }
    }
  }
`;

/** A picture share as one view of it sees it: `viewCount` already counts this view. */
export interface PictureView {
  key: string;
  name: string;
  url: string | null;
  sharer: string;
  viewCount: number;
  createdAt: string;
}

/**
 * Counts one view of a picture share and returns it (spec 001 §17.1–17.2): what both
 * `sharepic?cmd=browse` and the share page a browser opens do.
 */
export async function viewPictureShare(
  executor: Executor,
  request: Request,
  key: unknown,
): Promise<OperationResult<PictureView>> {
  const result = await executor.mutate<{ pictureShare: PictureView }>(request, {
    query: VIEW_PICTURE_SHARE,
    variables: { key },
  });
  return result.ok ? { ok: true, data: result.data.pictureShare } : result;
}
