import type { Request } from 'express';
import type { Executor, OperationResult } from '../execute';

const VIEW_PICTURE_SHARE = /* GraphQL */ `
  mutation LegacyViewPictureShare($key: String!) {
    viewPictureShare(key: $key) {
      key
      name
      url
      sharer
      pv
      createdAt
    }
  }
`;

/** A picture share as one view of it sees it: `pv` already counts this view. */
export interface PictureView {
  key: string;
  name: string | null;
  url: string | null;
  sharer: string;
  pv: number;
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
  const result = await executor.run<{ viewPictureShare: PictureView }>(request, {
    query: VIEW_PICTURE_SHARE,
    variables: { key },
  });
  return result.ok ? { ok: true, data: result.data.viewPictureShare } : result;
}
