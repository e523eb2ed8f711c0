import { AppError, notFound } from '../app-error';
import type { Caller, RequestContext } from '../context';
import { User } from '../entities/user.entity';
import { ErrorCode } from '../schema/error-code';

export const quotaExceeded = () =>
  new AppError(ErrorCode.QUOTA_EXCEEDED, 'This would take the account past its storage quota');

/**
 * How many bytes each account may keep. `users.used_bytes` is kept exact by triggers on `nodes`; this
 * service reads it, refuses what would pass the quota, and lets admins set quotas.
 *
 * Every transaction that adds or removes a user's files takes `lockUsage` first, before any blob row:
 * the triggers update the user's row, so two such transactions of one account that took blob and
 * user rows in different orders could otherwise deadlock.
 */
export class QuotaService {
  /** `defaultQuotaBytes`: DEFAULT_QUOTA_BYTES, null for unlimited. */
  constructor(private readonly defaultQuotaBytes: number | null) {}

  /** The quota that applies to `user`; null for unlimited. */
  quotaOf(user: Pick<User, 'quotaBytes'>): number | null {
    return user.quotaBytes ?? this.defaultQuotaBytes;
  }

  /** Serializes the storage changes of one account until the transaction ends. */
  async lockUsage(context: RequestContext, userId: string): Promise<void> {
    await context.manager.query(`SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE`, [userId]);
  }

  /** Bytes the account may still add; null for unlimited. */
  async remainingBytes(context: RequestContext, userId: string): Promise<number | null> {
    const user = await context.manager.findOneByOrFail(User, { id: userId });
    const quota = this.quotaOf(user);
    return quota === null ? null : Math.max(0, quota - user.usedBytes);
  }

  /** Throws QUOTA_EXCEEDED, rolling the transaction back, when the account is now past its quota. */
  async assertWithinQuota(context: RequestContext, userId: string): Promise<void> {
    const user = await context.manager.findOneByOrFail(User, { id: userId });
    const quota = this.quotaOf(user);
    if (quota !== null && user.usedBytes > quota) throw quotaExceeded();
  }

  /** Sets (or, with null, clears back to the default) the quota of the account named `userName`. */
  async setQuota(
    context: RequestContext,
    caller: Caller,
    userName: string,
    quotaBytes: number | null,
  ): Promise<User> {
    const admin = await context.manager.findOneBy(User, { id: caller.userId });
    if (!admin?.isAdmin) throw new AppError(ErrorCode.FORBIDDEN, 'Only an administrator may set quotas');
    const user = await context.manager
      .createQueryBuilder(User, 'user')
      .where('lower(user.user_name) = lower(:userName)', { userName })
      .getOne();
    if (!user) throw notFound('User');
    await context.manager.update(User, { id: user.id }, { quotaBytes });
    return context.manager.findOneByOrFail(User, { id: user.id });
  }
}
