import type { EntityManager } from 'typeorm';
import type { Logger } from './logger';

/** Who is asking: resolved from a valid, unexpired session. */
export interface Caller {
  userId: string;
  userName: string;
  sessionId: string;
}

/** Work to run once the surrounding transaction has committed (cache updates, blob removal). */
export type AfterCommitTask = () => Promise<void>;

export interface Transaction {
  afterCommit(task: AfterCommitTask): void;
  /** Undoes what the database cannot roll back itself (bytes stored for a row that never committed). */
  afterRollback(task: AfterCommitTask): void;
}

/**
 * Everything a service needs to know about the request it serves. Services receive it as their first
 * argument and use `manager` for every query, so the same code runs inside or outside a transaction.
 */
export interface RequestContext {
  readonly requestId: string;
  readonly caller: Caller | null;
  readonly ip: string | null;
  /**
   * Where the client reaches us, `scheme://host[:port]` without a trailing slash: PUBLIC_URL, or the
   * request's own origin. Every URL an answer carries starts with it.
   */
  readonly baseUrl: string;
  readonly userAgent: string | null;
  readonly log: Logger;
  readonly manager: EntityManager;
  readonly transaction: Transaction | null;
}
