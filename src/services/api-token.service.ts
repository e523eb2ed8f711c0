import { isUUID } from 'class-validator';
import { AppError, badInput, notFound } from '../app-error';
import type { KeyValueCache } from '../cache/key-value.cache';
import type { Caller, RequestContext } from '../context';
import { runPrepared } from '../db/prepared';
import { violatedUniqueConstraint } from '../db/errors';
import { returningRows } from '../db/returning';
import { afterCommit, transactional } from '../db/transaction';
import { ErrorCode } from '../schema/error-code';
import type { AuthService, SignIn } from './auth.service';
import { newApiToken, sha256Hex } from './credentials';
import { listPage, newestFirst, type Listing, type PageRequest } from './pagination';

/** What an API token may do; stored as the lowercase word. */
export enum ApiTokenScope {
  /** Upload, and list and delete its own uploads: nothing else. */
  UPLOAD = 'upload',
  /** Whatever a login session may do. */
  FULL = 'full',
}

export const MAX_API_TOKENS = 100;
export const MAX_API_TOKEN_NAME_LENGTH = 64;
/** The name `issue` gives a token when none is asked for: the sm.ms v2 `token` endpoint asks for none. */
export const ISSUED_TOKEN_NAME = 'sm.ms';
/**
 * Revoking removes a token's entry at once; the minute bounds how stale `lastUsedAt` gets, as each
 * miss writes it: at most one write a minute per token, however many requests it makes.
 */
const CACHE_TTL_SECONDS = 60;

/** What is wrong with an API token's name, or null: 1 to 64 characters, no control ones, no outer spaces. */
export function apiTokenNameProblem(name: string, property = 'name'): string | null {
  if (name.length < 1 || name.length > MAX_API_TOKEN_NAME_LENGTH) {
    return `${property} must be 1 to ${MAX_API_TOKEN_NAME_LENGTH} characters long`;
  }
  if (name.trim() !== name) return `${property} cannot start or end with spaces`;
  if (/\p{Cc}/u.test(name)) return `${property} cannot contain control characters`;
  return null;
}

/** An API token as its owner sees it: never the token itself. */
export interface ApiTokenView {
  id: string;
  name: string;
  scope: ApiTokenScope;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

export interface ApiTokenTerms {
  scope: ApiTokenScope;
  /** Null or absent: it never expires. */
  expiresAt?: Date | null;
}

export interface IssueRequest extends SignIn, ApiTokenTerms {
  /** Absent: ISSUED_TOKEN_NAME, numbered when taken. */
  name?: string | null;
}

/** A new token, shown this once, and what is stored of it. */
export interface CreatedApiToken {
  token: string;
  apiToken: ApiTokenView;
}

/** Who a valid API token stands for, and what it may do. */
export interface ApiTokenCredential {
  caller: Caller;
  scope: ApiTokenScope;
}

interface CachedApiToken {
  apiTokenId: string;
  userId: string;
  userName: string;
  scope: ApiTokenScope;
  /** Epoch milliseconds; null for never. */
  expiresAt: number | null;
}

interface ApiTokenRow {
  id: string;
  name: string;
  scope: ApiTokenScope;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
}

const viewOf = (row: ApiTokenRow): ApiTokenView => ({
  id: row.id,
  name: row.name,
  scope: row.scope,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  lastUsedAt: row.last_used_at,
});

const NEWEST_API_TOKENS_FIRST = newestFirst('api-tokens:newest', 't');

const COLUMNS = 't.id, t.name, t.scope, t.created_at, t.expires_at, t.last_used_at';
/** An expired token is gone for every purpose: refused, unlisted, its name free again. */
const LIVE = '(t.expires_at IS NULL OR t.expires_at > now())';

const cacheKey = (tokenHash: string) => `api-token:${tokenHash}`;

/** `base`, else `base (2)`, `base (3)`…: the first that `taken` (lowercase names) does not hold. */
function firstFreeName(base: string, taken: Set<string>): string {
  let name = base;
  for (let number = 2; taken.has(name.toLowerCase()); number += 1) name = `${base} (${number})`;
  return name;
}

/**
 * Named, revocable credentials for programs (uploaders, scripts), apart from login sessions: a token
 * is shown once and only its sha256 is stored; a scope limits what it may do.
 */
export class ApiTokenService {
  constructor(
    private readonly cache: KeyValueCache,
    private readonly auth: AuthService,
  ) {}

  /** A new token of the caller's; NAME_TAKEN for a name they already use, in any letter case. */
  create(
    context: RequestContext,
    caller: Caller,
    request: ApiTokenTerms & { name: string },
  ): Promise<CreatedApiToken> {
    return this.insert(context, caller.userId, request.name, request);
  }

  /**
   * A new token for the right user name and password, checked and limited exactly as `login` checks
   * them (so it opens no second way to guess). Without a name it is ISSUED_TOKEN_NAME, or that name
   * numbered (`sm.ms (2)`) when taken: each call makes a token of its own, so every client that
   * asked keeps working.
   */
  async issue(context: RequestContext, request: IssueRequest): Promise<CreatedApiToken> {
    const user = await this.auth.verifySignIn(context, request);
    return this.insert(context, user.id, request.name ?? null, request);
  }

  private insert(
    context: RequestContext,
    userId: string,
    name: string | null,
    terms: ApiTokenTerms,
  ): Promise<CreatedApiToken> {
    const problem = name === null ? null : apiTokenNameProblem(name);
    if (problem) throw badInput(problem, ['input', 'name']);
    if (terms.expiresAt && terms.expiresAt.getTime() <= Date.now()) {
      throw badInput('expiresAt must be in the future', ['input', 'expiresAt']);
    }
    return transactional(context, async (tx) => {
      // The account's row serialises its token changes, so concurrent ones cannot pass the cap.
      await tx.manager.query(`SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [userId]);
      await tx.manager.query(`DELETE FROM api_tokens t WHERE t.user_id = $1 AND NOT ${LIVE}`, [userId]);
      const names = await tx.manager.query<{ name: string }[]>(
        `SELECT lower(name) AS name FROM api_tokens WHERE user_id = $1`,
        [userId],
      );
      if (names.length >= MAX_API_TOKENS) {
        throw new AppError(
          ErrorCode.QUOTA_EXCEEDED,
          `An account has at most ${MAX_API_TOKENS} API tokens: revoke one first`,
        );
      }
      const token = newApiToken();
      try {
        const [row] = await tx.manager.query<ApiTokenRow[]>(
          `INSERT INTO api_tokens AS t (user_id, name, token_hash, scope, expires_at)
           VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
          [
            userId,
            name ?? firstFreeName(ISSUED_TOKEN_NAME, new Set(names.map((row) => row.name))),
            sha256Hex(token),
            terms.scope,
            terms.expiresAt ?? null,
          ],
        );
        return { token, apiToken: viewOf(row) };
      } catch (error) {
        if (violatedUniqueConstraint(error) === 'api_tokens_user_name_key') {
          throw new AppError(ErrorCode.NAME_TAKEN, 'You already have an API token of that name', [
            'input',
            'name',
          ]);
        }
        throw error;
      }
    });
  }

  /** The caller's tokens that have not expired, newest first. */
  async list(context: RequestContext, caller: Caller, request: PageRequest): Promise<Listing<ApiTokenView>> {
    return listPage(
      context,
      {
        ordering: NEWEST_API_TOKENS_FIRST,
        columns: COLUMNS,
        from: 'FROM api_tokens t',
        where: `t.user_id = $1 AND ${LIVE}`,
        parameters: [caller.userId],
      },
      request,
      viewOf,
    );
  }

  /** One of the caller's tokens that has not expired; null for anyone else's. */
  async find(context: RequestContext, caller: Caller, apiTokenId: string): Promise<ApiTokenView | null> {
    if (!isUUID(apiTokenId)) return null;
    const [row] = await runPrepared<ApiTokenRow>(
      context.manager,
      `SELECT ${COLUMNS} FROM api_tokens t WHERE t.id = $1 AND t.user_id = $2 AND ${LIVE}`,
      [apiTokenId, caller.userId],
    );
    return row ? viewOf(row) : null;
  }

  /** Revokes one of the caller's tokens: it stops working at once. NOT_FOUND for anyone else's. */
  async revoke(context: RequestContext, caller: Caller, apiTokenId: string): Promise<void> {
    if (!isUUID(apiTokenId)) throw notFound('API token');
    const revoked = await returningRows<{ token_hash: string }>(
      context.manager,
      `DELETE FROM api_tokens WHERE id = $1 AND user_id = $2 RETURNING token_hash`,
      [apiTokenId, caller.userId],
    );
    if (revoked.length === 0) throw notFound('API token');
    await afterCommit(context, async () => {
      await Promise.all(revoked.map((row) => this.cache.delete(cacheKey(row.token_hash))));
    });
  }

  /** Who an API token (`isApiToken`) stands for and what it may do; null when unknown, revoked or expired. */
  async authenticate(context: RequestContext, token: string): Promise<ApiTokenCredential | null> {
    const tokenHash = sha256Hex(token);
    const raw = await this.cache.get(cacheKey(tokenHash));
    if (raw) {
      const cached = JSON.parse(raw) as CachedApiToken;
      return cached.expiresAt === null || cached.expiresAt > Date.now() ? credentialOf(cached) : null;
    }
    const [found] = await returningRows<{
      id: string;
      user_id: string;
      scope: ApiTokenScope;
      expires_at: Date | null;
      user_name: string;
    }>(
      context.manager,
      `UPDATE api_tokens t SET last_used_at = now()
         FROM users u
        WHERE t.token_hash = $1 AND ${LIVE} AND u.id = t.user_id
        RETURNING t.id, t.user_id, t.scope, t.expires_at, u.user_name`,
      [tokenHash],
    );
    if (!found) return null;
    const entry: CachedApiToken = {
      apiTokenId: found.id,
      userId: found.user_id,
      userName: found.user_name,
      scope: found.scope,
      expiresAt: found.expires_at && new Date(found.expires_at).getTime(),
    };
    const ttl =
      entry.expiresAt === null
        ? CACHE_TTL_SECONDS
        : Math.min(CACHE_TTL_SECONDS, Math.floor((entry.expiresAt - Date.now()) / 1000));
    if (ttl > 0) await this.cache.set(cacheKey(tokenHash), JSON.stringify(entry), ttl);
    return credentialOf(entry);
  }
}

function credentialOf(entry: CachedApiToken): ApiTokenCredential {
  return {
    caller: { userId: entry.userId, userName: entry.userName, sessionId: null, apiTokenId: entry.apiTokenId },
    scope: entry.scope,
  };
}
