import type { LoadResult } from './load';

export interface Row {
  figure: string;
  result: string;
  latency?: string;
  reference?: string;
  check?: string;
}

/** A heading row that separates the table's sections. */
export const section = (title: string): Row => ({ figure: `— ${title}`, result: '' });

export const megabytesPerSecond = (bytes: number, seconds: number) => bytes / seconds / 1e6;

export const formatRate = (mbPerSecond: number) => `${mbPerSecond.toFixed(0)} MB/s`;

export const formatMegabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** "PASS 91% ≥ 80%": the ratio of a figure to its reference against the budget's minimum ratio. */
export function ratioCheck(value: number, reference: number, minimum: number): string {
  const ratio = value / reference;
  return `${ratio >= minimum ? 'PASS' : 'FAIL'} ${(ratio * 100).toFixed(0)}% ≥ ${(minimum * 100).toFixed(0)}%`;
}

export function belowCheck(bytes: number, limit: number): string {
  return `${bytes < limit ? 'PASS' : 'FAIL'} < ${formatMegabytes(limit)}`;
}

/** A load figure: requests per second with its latencies, and any failed requests said plainly. */
export function loadRow(figure: string, load: LoadResult, reference?: string, check?: string): Row {
  const failed = load.failures ? `; ${load.failures} FAILED: ${load.firstFailure ?? ''}` : '';
  return {
    figure,
    result: `${load.perSecond.toFixed(0)} req/s (${load.requests} in ${load.seconds.toFixed(1)} s${failed})`,
    latency: `p50 ${load.p50Ms.toFixed(1)} / p99 ${load.p99Ms.toFixed(1)} ms`,
    reference,
    check,
  };
}

export const unavailable = (figure: string, why: string): Row => ({ figure, result: `not measured: ${why}` });

export function printTable(rows: Row[]): string {
  const headers: Row = {
    figure: 'figure',
    result: 'result',
    latency: 'latency',
    reference: 'reference',
    check: 'budget',
  };
  const columns: (keyof Row)[] = ['figure', 'result', 'latency', 'reference', 'check'];
  const widths = columns.map((column) =>
    Math.max(...[headers, ...rows].map((row) => (row[column] ?? '').length)),
  );
  const line = (row: Row) =>
    columns
      .map((column, index) => (row[column] ?? '').padEnd(widths[index]))
      .join(' | ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('-|-');
  return [line(headers), rule, ...rows.map(line)].join('\n');
}
