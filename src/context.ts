import type { EntityManager } from 'typeorm';
import type { Logger } from './logger';

/**
 * Who is asking: the account, and the credential the request came with, a login session or an API
 * token (never both), so that uploads can be put down to the token that made them.
 */
export type Caller = {
  userId: string;
  userName: string;
} & ({ sessionId: string; apiTokenId: null } | { sessionId: null; apiTokenId: string });

/**
 * Work to run once the surrounding transaction has committed (cache updates, blob removal). It is
 * given the context outside the transaction, whose connection is gone by then.
 */
export type AfterCommitTask = (context: RequestContext) => Promise<void>;

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
  /** Who may act on the account: a login session or a FULL API token; null when signed out. */
  readonly caller: Caller | null;
  /**
   * Who may upload: any valid credential, an UPLOAD-scoped API token included. Only operations
   * marked `@Authorized(UPLOAD)` read it, so everything else treats such a token as signed out.
   */
  readonly uploader: Caller | null;
  /**
   * Whether the request carried a token that does not hold (unknown, expired, revoked): where signing
   * in is optional, such a request is refused rather than served as anonymous.
   */
  readonly refusedToken: boolean;
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
