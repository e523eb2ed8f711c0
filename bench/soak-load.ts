/** Runs the operation mix on many connections until the time is up, and tallies each kind. */
import http from 'node:http';
import { percentile } from './load';
import { nextOperation, type Connection } from './soak-operations';

export interface KindTally {
  kind: string;
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

export interface SoakLoad {
  kinds: KindTally[];
  requests: number;
  errors: number;
  /** The first failures, each with its kind, status and body. */
  firstErrors: string[];
  seconds: number;
}

const ERRORS_KEPT = 5;

/**
 * `connections` loops, each with one socket of a shared keep-alive agent and a `Connection` of its
 * own (from `connectionFor`), drawing operations until `seconds` have passed; an operation under way
 * then finishes.
 */
export async function runMix(
  connections: number,
  seconds: number,
  connectionFor: (index: number, agent: http.Agent) => Connection,
): Promise<SoakLoad> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies = new Map<string, number[]>();
  const errorsOf = new Map<string, number>();
  const firstErrors: string[] = [];
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  const loop = async (index: number) => {
    const connection = connectionFor(index, agent);
    while (process.hrtime.bigint() < deadline) {
      const operation = nextOperation(connection);
      const sent = process.hrtime.bigint();
      try {
        await operation.run(connection);
        const took = Number(process.hrtime.bigint() - sent) / 1e6;
        const ofKind = latencies.get(operation.kind) ?? [];
        ofKind.push(took);
        latencies.set(operation.kind, ofKind);
      } catch (error) {
        errorsOf.set(operation.kind, (errorsOf.get(operation.kind) ?? 0) + 1);
        if (firstErrors.length < ERRORS_KEPT)
          firstErrors.push(`${operation.kind}: ${(error as Error).message}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, (_, index) => loop(index)));
  } finally {
    agent.destroy();
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const kinds = [...new Set([...latencies.keys(), ...errorsOf.keys()])].map((kind): KindTally => {
    const sorted = (latencies.get(kind) ?? []).sort((a, b) => a - b);
    const errors = errorsOf.get(kind) ?? 0;
    return {
      kind,
      requests: sorted.length + errors,
      errors,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
    };
  });
  const total = (field: 'requests' | 'errors') => kinds.reduce((sum, kind) => sum + kind[field], 0);
  return { kinds, requests: total('requests'), errors: total('errors'), firstErrors, seconds: elapsed };
}
