import type { Request } from 'express';
import type { Executor, LegacyCredentials, OperationResult } from './execute';

/** The parts of a connection an offset page is read from. */
export interface ConnectionData<Node> {
  totalCount?: number;
  nodes?: Node[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** The most items one request of a connection returns (MAX_PAGE_SIZE of the core). */
const CONNECTION_PAGE = 100;

/**
 * A page of a connection at an offset, as the old APIs page (spec 001 `start` and `count`): read
 * cursor by cursor, at most 100 items a request, skipping `offset` items and keeping `limit`. The
 * query declares `$first: Int!`, `$after: String`, `$withTotal: Boolean!` and `$withNodes: Boolean!`
 * (for `totalCount @include(if: $withTotal)` and `nodes @include(if: $withNodes)`), and `connection`
 * finds the connection in its data. The total is counted once, with the first request.
 */
export async function offsetPage<Data, Node>(
  executor: Executor,
  request: Request,
  operation: { query: string; variables?: Record<string, unknown> },
  connection: (data: Data) => ConnectionData<Node>,
  window: { offset: number; limit: number },
  credentials: LegacyCredentials = {},
): Promise<OperationResult<{ data: Data; totalCount: number; nodes: Node[] }>> {
  const nodes: Node[] = [];
  let first: Data | null = null;
  let after: string | null = null;
  let skipped = 0;
  for (;;) {
    const skipping = skipped < window.offset;
    const wanted = skipping ? window.offset - skipped : window.limit - nodes.length;
    const result: OperationResult<Data> = await executor.run<Data>(
      request,
      {
        query: operation.query,
        variables: {
          ...operation.variables,
          first: Math.min(wanted, CONNECTION_PAGE),
          after,
          withTotal: first === null,
          withNodes: !skipping,
        },
      },
      credentials,
    );
    if (!result.ok) return result;
    first ??= result.data;
    const page = connection(result.data);
    if (skipping) skipped += Math.min(wanted, CONNECTION_PAGE);
    else nodes.push(...(page.nodes ?? []));
    after = page.pageInfo.endCursor;
    if (!page.pageInfo.hasNextPage || nodes.length >= window.limit) break;
  }
  return { ok: true, data: { data: first, totalCount: connection(first).totalCount ?? 0, nodes } };
}
