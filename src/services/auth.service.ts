import type { Caller, RequestContext } from '../context';
import { isUUID } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { AppError, badInput, notFound } from '../app-error';
import type { AttemptLimiter } from '../cache/attempt-limiter';
import type { KeyValueCache } from '../cache/key-value.cache';
import { violatedUniqueConstraint } from '../db/errors';
import { returningRows } from '../db/returning';
import { afterCommit, transactional } from '../db/transaction';
import { Session, SessionKind } from '../entities/session.entity';
import { User } from '../entities/user.entity';
import { ErrorCode } from '../schema/error-code';
import { hashPasswordMd5, md5Hex, newToken, sha256Hex, verifyPasswordMd5 } from './credentials';
import type { TokenSigner } from './signed-tokens';
import { listPage, newestFirst, type Listing, type PageRequest } from './pagination';
import { runPrepared } from '../db/prepared';
import { batcherPerRequest, RequestBatcher } from './request-batcher';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Legacy tokens lived 24 hours; `remember` keeps a session for 30 days. */
export const SESSION_LIFETIME_MS = DAY_MS;
export const REMEMBERED_SESSION_LIFETIME_MS = 30 * DAY_MS;
const CACHE_TTL_SECONDS = 300;
/** The windows of the login and registration limits (their sizes are settings). */
export const LOGIN_WINDOW_SECONDS = 15 * 60;
export const REGISTER_WINDOW_SECONDS = 60 * 60;

/** Attempts counted before the password is checked, so concurrent guesses all count. */
export interface AuthLimiters {
  /** Per account (LOGIN_ACCOUNT_LIMIT): a right password starts it afresh. */
  loginByAccount: AttemptLimiter;
  /** Per client address (LOGIN_IP_LIMIT): a right password takes its attempt back. */
  loginByAddress: AttemptLimiter;
  /** Per client address (REGISTER_IP_LIMIT), every attempt. */
  registerByAddress: AttemptLimiter;
}

export interface PasswordProof {
  password?: string;
  passwordMd5?: string;
}

export interface Registration extends PasswordProof {
  userName: string;
  nickName: string;
  email?: string;
  phone?: string;
}

/** An account's name and password, checked as `login` checks them. */
export interface SignIn extends PasswordProof {
  userName: string;
}

export interface LoginRequest extends SignIn {
  remember?: boolean;
  /** A JWT (as Netdisk clients carry one) instead of the 32-hex token. */
  jwt?: boolean;
}

export interface IssuedSession {
  token: string;
  expiresAt: Date;
  user: User;
}

interface CachedSession {
  sessionId: string;
  userId: string;
  userName: string;
  expiresAt: number;
}

/** A session as its owner sees it: never its token. */
export interface SessionView {
  id: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date;
  ip: string | null;
  userAgent: string | null;
  /** The session of the request asking. */
  current: boolean;
}

interface SessionRow {
  id: string;
  created_at: Date;
  expires_at: Date;
  last_used_at: Date;
  ip: string | null;
  user_agent: string | null;
}

const sessionViewOf = (row: SessionRow, caller: Caller): SessionView => ({
  id: row.id,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  lastUsedAt: row.last_used_at,
  ip: row.ip,
  userAgent: row.user_agent,
  current: row.id === caller.sessionId,
});

const NEWEST_SESSIONS_FIRST = newestFirst('sessions:newest', 's');

const sessionCacheKey = (tokenHash: string) => `session:${tokenHash}`;

const USERS_BY_ID = `
  SELECT id, user_name, nick_name, email, phone, password_hash, quota_bytes, used_bytes, is_admin, created_at
    FROM users WHERE id = ANY($1::uuid[])`;

interface UserRow {
  id: string;
  user_name: string;
  nick_name: string;
  email: string | null;
  phone: string | null;
  password_hash: string | null;
  quota_bytes: string | null;
  used_bytes: string;
  is_admin: boolean;
  created_at: Date;
}
const OPAQUE_TOKEN = /^[0-9a-f]{32}$/i;
/** Limiter keys are hashes: no user text ever reaches a Redis key. */
const addressKey = (ip: string | null) => sha256Hex(ip ?? 'unknown');

const tooManyAttempts = (what: string) =>
  new AppError(ErrorCode.RATE_LIMITED, `Too many ${what}: try again later`);

/** The md5 hex every door agrees on, from whichever form of the password the caller sent. */
function passwordMd5Of(proof: PasswordProof): string {
  if (proof.passwordMd5 !== undefined && proof.password !== undefined) {
    throw badInput('Give either password or passwordMd5, not both');
  }
  if (proof.passwordMd5 !== undefined) return proof.passwordMd5.toLowerCase();
  if (proof.password !== undefined) return md5Hex(proof.password);
  throw badInput('A password (password or passwordMd5) is required');
}

export class AuthService {
  constructor(
    private readonly sessionCache: KeyValueCache,
    private readonly limiters: AuthLimiters,
    private readonly sessionTokens: TokenSigner,
  ) {}

  async register(context: RequestContext, registration: Registration): Promise<User> {
    if (!(await this.limiters.registerByAddress.take(addressKey(context.ip)))) {
      throw tooManyAttempts('accounts registered from this address');
    }
    const passwordHash = await hashPasswordMd5(passwordMd5Of(registration));
    const user = context.manager.create(User, {
      userName: registration.userName,
      nickName: registration.nickName,
      email: registration.email?.trim() || null,
      phone: registration.phone?.trim() || null,
      passwordHash,
    });
    try {
      const saved = await context.manager.save(user);
      // Read back what the database fills in itself (usage, flags).
      return await context.manager.findOneByOrFail(User, { id: saved.id });
    } catch (error) {
      switch (violatedUniqueConstraint(error)) {
        case 'users_user_name_key':
          throw new AppError(ErrorCode.USER_EXISTS, 'That user name is taken');
        case 'users_email_key':
          throw new AppError(ErrorCode.EMAIL_TAKEN, 'That e-mail address is already registered');
        default:
          throw error;
      }
    }
  }

  /** Opens a session for the right password (`verifySignIn`). */
  async login(context: RequestContext, request: LoginRequest): Promise<IssuedSession> {
    const user = await this.verifySignIn(context, request);
    const lifetime = request.remember ? REMEMBERED_SESSION_LIFETIME_MS : SESSION_LIFETIME_MS;
    const kind = request.jwt ? SessionKind.JWT : SessionKind.TOKEN;
    const { token, session } = await this.openSession(context, user, kind, lifetime);
    return { token, expiresAt: session.expiresAt, user };
  }

  /**
   * The account, for the right password; UNAUTHENTICATED otherwise. Every attempt counts, before the
   * password is checked, against the account (LOGIN_ACCOUNT_LIMIT in 15 minutes, the right password
   * included once it is reached) and the client's address (LOGIN_IP_LIMIT): guessing online gets a
   * few dozen tries an hour, however many run at once and through whichever operation. The account
   * is named as Postgres folds the name for the lookup, so spellings that find the same account
   * share its count, and names that do not exist count alike: the refusal tells nothing about which
   * accounts exist.
   */
  async verifySignIn(context: RequestContext, request: SignIn): Promise<User> {
    const passwordMd5 = passwordMd5Of(request);
    const address = addressKey(context.ip);
    if (!(await this.limiters.loginByAddress.take(address))) {
      throw tooManyAttempts('sign-in attempts from this address');
    }
    const [{ folded, id }] = await runPrepared<{ folded: string; id: string | null }>(
      context.manager,
      `SELECT lower($1) AS folded, (SELECT id FROM users WHERE lower(user_name) = lower($1)) AS id`,
      [request.userName],
    );
    const account = sha256Hex(folded);
    if (!(await this.limiters.loginByAccount.take(account))) {
      throw tooManyAttempts('wrong passwords for this account');
    }
    const user = id ? await context.manager.findOneBy(User, { id }) : null;
    if (!(await verifyPasswordMd5(user?.passwordHash ?? null, passwordMd5)) || !user) {
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'Wrong user name or password');
    }
    await Promise.all([
      this.limiters.loginByAccount.reset(account),
      this.limiters.loginByAddress.giveBack(address),
    ]);
    return user;
  }

  /** Creates a session for `user` and returns the bearer token; only its hash is stored. */
  async openSession(
    context: RequestContext,
    user: User,
    kind: SessionKind,
    lifetimeMs: number,
  ): Promise<{ token: string; session: Session }> {
    const now = new Date();
    const id = randomUUID();
    const expiresAt = new Date(now.getTime() + lifetimeMs);
    // A JWT names its session (`jti`, as Netdisk clients expect); either kind is stored as its hash only.
    const token =
      kind === SessionKind.JWT
        ? await this.sessionTokens.sign({ jti: id, sub: user.userName }, expiresAt)
        : newToken();
    const session = await context.manager.save(
      context.manager.create(Session, {
        id,
        userId: user.id,
        tokenHash: sha256Hex(token),
        kind,
        expiresAt,
        lastUsedAt: now,
        ip: context.ip,
        userAgent: context.userAgent?.slice(0, 512) ?? null,
      }),
    );
    return { token, session };
  }

  /** Ends the caller's session and answers its id; FORBIDDEN for an API token, which has none. */
  async logout(context: RequestContext, caller: Caller): Promise<string> {
    if (caller.sessionId === null) {
      throw new AppError(ErrorCode.FORBIDDEN, 'An API token is no session: end it with revokeApiToken');
    }
    const ended = await returningRows<{ token_hash: string }>(
      context.manager,
      `DELETE FROM sessions WHERE id = $1 RETURNING token_hash`,
      [caller.sessionId],
    );
    await Promise.all(ended.map((row) => this.sessionCache.delete(sessionCacheKey(row.token_hash))));
    return caller.sessionId;
  }

  /**
   * Changes the password and ends every other session of the account (all of them, for a caller with
   * an API token); answers their ids. API tokens stay: each is revoked on its own.
   */
  async changePassword(
    context: RequestContext,
    caller: Caller,
    current: PasswordProof,
    next: PasswordProof,
  ): Promise<string[]> {
    const currentMd5 = passwordMd5Of(current);
    return transactional(context, async (tx) => {
      const user = await tx.manager.findOne(User, {
        where: { id: caller.userId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!user || !(await verifyPasswordMd5(user.passwordHash, currentMd5))) {
        throw new AppError(ErrorCode.FORBIDDEN, 'The current password is wrong');
      }
      return this.replacePassword(tx, user.id, next, caller.sessionId);
    });
  }

  /**
   * Gives the account a new password and ends all its sessions but `keptSessionId`, in the caller's
   * transaction; the ended sessions leave the cache once it commits. Answers their ids.
   */
  async replacePassword(
    context: RequestContext,
    userId: string,
    next: PasswordProof,
    keptSessionId: string | null,
  ): Promise<string[]> {
    const passwordHash = await hashPasswordMd5(passwordMd5Of(next));
    await context.manager.update(User, { id: userId }, { passwordHash });
    const ended = await returningRows<{ id: string; token_hash: string }>(
      context.manager,
      `DELETE FROM sessions WHERE user_id = $1 AND id IS DISTINCT FROM $2 RETURNING id, token_hash`,
      [userId, keptSessionId],
    );
    await afterCommit(context, async () => {
      await Promise.all(ended.map((row) => this.sessionCache.delete(sessionCacheKey(row.token_hash))));
    });
    return ended.map((row) => row.id);
  }

  /**
   * The caller a bearer token stands for, or null when it is unknown or expired: a 32-hex token, or a
   * JWT of ours (its signature checked before anything is looked up), found alike by its hash.
   */
  async authenticate(context: RequestContext, token: string): Promise<Caller | null> {
    let tokenHash: string;
    if (OPAQUE_TOKEN.test(token)) tokenHash = sha256Hex(token.toLowerCase());
    else if ((await this.sessionTokens.verify(token))?.expired === false) tokenHash = sha256Hex(token);
    else return null;
    const cached = await this.readCachedSession(tokenHash);
    if (cached) return cached.expiresAt > Date.now() ? toCaller(cached) : null;
    const [found] = await returningRows<{ id: string; user_id: string; expires_at: Date; user_name: string }>(
      context.manager,
      `UPDATE sessions s SET last_used_at = now()
         FROM users u
        WHERE s.token_hash = $1 AND s.expires_at > now() AND u.id = s.user_id
        RETURNING s.id, s.user_id, s.expires_at, u.user_name`,
      [tokenHash],
    );
    if (!found) return null;
    const session: CachedSession = {
      sessionId: found.id,
      userId: found.user_id,
      userName: found.user_name,
      expiresAt: new Date(found.expires_at).getTime(),
    };
    const ttl = Math.min(CACHE_TTL_SECONDS, Math.floor((session.expiresAt - Date.now()) / 1000));
    if (ttl > 0) await this.sessionCache.set(sessionCacheKey(tokenHash), JSON.stringify(session), ttl);
    return toCaller(session);
  }

  /** Removes sessions past their end (run periodically); their tokens stopped working then already. */
  async deleteExpiredSessions(context: RequestContext): Promise<number> {
    const removed = await returningRows<{ id: string }>(
      context.manager,
      `DELETE FROM sessions WHERE expires_at <= now() RETURNING id`,
      [],
    );
    return removed.length;
  }

  /** The caller's sessions that have not ended, newest first. */
  async listSessions(
    context: RequestContext,
    caller: Caller,
    request: PageRequest,
  ): Promise<Listing<SessionView>> {
    return listPage(
      context,
      {
        ordering: NEWEST_SESSIONS_FIRST,
        columns: 's.id, s.created_at, s.expires_at, s.last_used_at, host(s.ip) AS ip, s.user_agent',
        from: 'FROM sessions s',
        where: 's.user_id = $1 AND s.expires_at > now()',
        parameters: [caller.userId],
      },
      request,
      (row: SessionRow) => sessionViewOf(row, caller),
    );
  }

  /** One of the caller's sessions that has not ended; null for anyone else's. */
  async findSession(context: RequestContext, caller: Caller, sessionId: string): Promise<SessionView | null> {
    if (!isUUID(sessionId)) return null;
    const [row] = await runPrepared<SessionRow>(
      context.manager,
      `SELECT s.id, s.created_at, s.expires_at, s.last_used_at, host(s.ip) AS ip, s.user_agent
         FROM sessions s WHERE s.id = $1 AND s.user_id = $2 AND s.expires_at > now()`,
      [sessionId, caller.userId],
    );
    return row ? sessionViewOf(row, caller) : null;
  }

  /** Ends one of the caller's sessions (its token stops working at once); NOT_FOUND for others'. */
  async revokeSession(context: RequestContext, caller: Caller, sessionId: string): Promise<void> {
    if (!isUUID(sessionId)) throw notFound('Session');
    const ended = await returningRows<{ token_hash: string }>(
      context.manager,
      `DELETE FROM sessions WHERE id = $1 AND user_id = $2 RETURNING token_hash`,
      [sessionId, caller.userId],
    );
    if (ended.length === 0) throw notFound('Session');
    await Promise.all(ended.map((row) => this.sessionCache.delete(sessionCacheKey(row.token_hash))));
  }

  /**
   * An account's row, read once for all the fields of one request that need it (most need none:
   * the session knows the user name), by one prepared statement.
   */
  async findUser(context: RequestContext, userId: string): Promise<User> {
    const user = await this.usersOf(context).load(userId);
    if (!user) throw new AppError(ErrorCode.UNAUTHENTICATED, 'The session has ended');
    return user;
  }

  private readonly usersOf = batcherPerRequest(
    (context: RequestContext) =>
      new RequestBatcher<string, User | null>(async (ids) => {
        const rows = await runPrepared<UserRow>(context.manager, USERS_BY_ID, [ids]);
        return new Map(rows.map((row) => [row.id, userOf(row)]));
      }, null),
  );

  private async readCachedSession(tokenHash: string): Promise<CachedSession | null> {
    const raw = await this.sessionCache.get(sessionCacheKey(tokenHash));
    return raw ? (JSON.parse(raw) as CachedSession) : null;
  }
}

function userOf(row: UserRow): User {
  return Object.assign(new User(), {
    id: row.id,
    userName: row.user_name,
    nickName: row.nick_name,
    email: row.email,
    phone: row.phone,
    passwordHash: row.password_hash,
    quotaBytes: row.quota_bytes === null ? null : Number(row.quota_bytes),
    usedBytes: Number(row.used_bytes),
    isAdmin: row.is_admin,
    createdAt: row.created_at,
  });
}

function toCaller(session: CachedSession): Caller {
  return {
    userId: session.userId,
    userName: session.userName,
    sessionId: session.sessionId,
    apiTokenId: null,
  };
}
