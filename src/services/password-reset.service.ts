import { AppError, notFound } from '../app-error';
import type { AttemptLimiter } from '../cache/attempt-limiter';
import type { RequestContext } from '../context';
import { runPrepared } from '../db/prepared';
import { transactional } from '../db/transaction';
import { ErrorCode } from '../schema/error-code';
import type { AuthService, PasswordProof } from './auth.service';
import { newToken, sha256Hex } from './credentials';
import type { MailService } from './mail.service';

/** How long a reset link works; it works once. */
export const RESET_LIFETIME_MS = 60 * 60 * 1000;

/** The page a reset link opens (web/reset-password.ts). */
export const RESET_PAGE = '/reset-password';

export interface ResetLimiters {
  /** Mails per address an hour: past it the request still answers as usual, and sends nothing. */
  mailsByAddress: AttemptLimiter;
  /** Requests per client address an hour: past it, RATE_LIMITED. */
  requestsByClient: AttemptLimiter;
}

interface ResetRow {
  id: string;
  user_id: string;
  expired: boolean;
  used: boolean;
}

/**
 * Password recovery by e-mail (Netdisk `/user/find`): a single-use link that expires, mailed only to
 * an address an account has, while every well-formed request is answered alike, so that nobody can
 * learn which addresses have accounts. Only the token's hash is stored.
 */
export class PasswordResetService {
  constructor(
    private readonly auth: AuthService,
    private readonly mail: MailService,
    private readonly limiters: ResetLimiters,
  ) {}

  async request(context: RequestContext, email: string): Promise<void> {
    if (!(await this.limiters.requestsByClient.take(sha256Hex(context.ip ?? '')))) {
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        'Too many password reset requests from this address: try again later',
      );
    }
    const [user] = await runPrepared<{ id: string; user_name: string; email: string }>(
      context.manager,
      `SELECT id, user_name, email FROM users WHERE lower(email) = lower($1)`,
      [email.trim()],
    );
    if (!user || !(await this.limiters.mailsByAddress.take(sha256Hex(user.id)))) return;
    const token = newToken();
    await context.manager.query(
      `INSERT INTO password_resets (user_id, token_hash, expires_at) VALUES ($1, $2, $3)`,
      [user.id, sha256Hex(token), new Date(Date.now() + RESET_LIFETIME_MS)],
    );
    const link = `${context.baseUrl}${RESET_PAGE}?token=${token}`;
    this.mail.sendInBackground({
      to: user.email,
      subject: 'Picvault 密码重置 / password reset',
      text:
        `有人（希望是你）请求重置 Picvault 帐号 ${user.user_name} 的密码。请在一小时内打开下面的链接设置新密码，链接只能使用一次：\r\n\r\n` +
        `${link}\r\n\r\n` +
        `Someone (hopefully you) asked to reset the password of the Picvault account ${user.user_name}. ` +
        `Open the link above within an hour to choose a new one; it works once.\r\n\r\n` +
        `如果不是你本人操作，请忽略这封邮件。If this was not you, ignore this e-mail: your password stays as it is.\r\n`,
    });
  }

  /**
   * Sets a new password with a reset token and ends every session of the account. NOT_FOUND for a
   * token never issued, GONE for one already used, LINK_EXPIRED past its hour; nothing changes then.
   */
  async reset(context: RequestContext, token: string, next: PasswordProof): Promise<string> {
    return transactional(context, async (tx) => {
      const [reset] = await tx.manager.query<ResetRow[]>(
        `SELECT id, user_id, expires_at <= now() AS expired, used_at IS NOT NULL AS used
           FROM password_resets WHERE token_hash = $1 FOR UPDATE`,
        [sha256Hex(token.trim().toLowerCase())],
      );
      if (!reset) throw notFound('Reset link');
      if (reset.used) throw new AppError(ErrorCode.GONE, 'This reset link has been used already');
      if (reset.expired)
        throw new AppError(ErrorCode.LINK_EXPIRED, 'This reset link has expired: ask for a new one');
      await tx.manager.query(`UPDATE password_resets SET used_at = now() WHERE id = $1`, [reset.id]);
      await this.auth.replacePassword(tx, reset.user_id, next, null);
      return reset.user_id;
    });
  }
}
