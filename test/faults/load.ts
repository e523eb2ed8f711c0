import type { Reachable } from '../helpers/test-app';

/** One answer under load, as the client saw it. */
export interface Answer {
  kind: string;
  /** Milliseconds since the load started. */
  at: number;
  ms: number;
  /** The HTTP status; 0 when no answer came. */
  status: number;
  /** The GraphQL error code, or the door's `code` when not 0, or the network error. */
  error: string | null;
  retryAfter: string | null;
}

/** One kind of request: builds the fetch arguments (with a fresh body each time). */
export interface LoadRequest {
  kind: string;
  request: () => { path: string; init: RequestInit };
}

/** The error an answer carries in its body, whichever API answered. */
function errorOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const { errors, code } = body as { errors?: { extensions?: { code?: string } }[]; code?: unknown };
  if (errors?.length) return errors[0].extensions?.code ?? 'GRAPHQL_ERROR';
  if (code !== undefined && code !== 0) return `code ${JSON.stringify(code)}`;
  return null;
}

/**
 * Sends the requests round-robin from `connections` loops for `durationMs`, and records every
 * answer: the test injects its fault meanwhile.
 */
export async function underLoad(
  server: Reachable,
  requests: LoadRequest[],
  options: { connections: number; durationMs: number },
): Promise<Answer[]> {
  const started = Date.now();
  const answers: Answer[] = [];
  let next = 0;
  const loop = async () => {
    while (Date.now() - started < options.durationMs) {
      const { kind, request } = requests[next++ % requests.length];
      const { path, init } = request();
      const sent = Date.now();
      const answer: Answer = { kind, at: sent - started, ms: 0, status: 0, error: null, retryAfter: null };
      try {
        const response = await fetch(`${server.url}${path}`, {
          ...init,
          signal: AbortSignal.timeout(30_000),
        });
        answer.status = response.status;
        answer.retryAfter = response.headers.get('retry-after');
        const text = await response.text();
        if (response.headers.get('content-type')?.includes('json')) answer.error = errorOf(JSON.parse(text));
      } catch (error) {
        answer.error = (error as Error).message;
      }
      answer.ms = Date.now() - sent;
      answers.push(answer);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  return answers;
}

/** Answers that were not a success, grouped as `kind status error` with their counts, for a failure message. */
export function failuresOf(answers: Answer[]): Record<string, number> {
  const failures: Record<string, number> = {};
  for (const answer of answers) {
    if (answer.status === 200 && !answer.error) continue;
    const key = `${answer.kind} ${answer.status} ${answer.error}`;
    failures[key] = (failures[key] ?? 0) + 1;
  }
  return failures;
}
