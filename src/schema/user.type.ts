import { Field, ObjectType } from 'type-graphql';
import type { Caller } from '../context';
import type { User } from '../entities/user.entity';
import type { SessionView } from '../services/auth.service';
import { IdType, toGlobalId } from './global-id';
import { connectionOf, NodeInterface } from './relay';

@ObjectType('User', {
  implements: NodeInterface,
  description: 'An account. Only its owner sees it (as `viewer`), and administrators where they set quotas.',
})
export class UserType extends NodeInterface {
  @Field(() => String, {
    description: 'Unique in any letter case; 1 to 32 characters, no `/`, control characters or outer spaces.',
  })
  userName!: string;

  /** The account's row id. Its other fields are field resolvers, read from the row only when asked for. */
  accountId!: string;

  /** The row, when whoever made this object already had it. */
  row?: User;

  static from(user: User): UserType {
    return Object.assign(UserType.of({ userId: user.id, userName: user.userName }), { row: user });
  }

  /** The account a caller signed in as, from what the session says: no row is read until needed. */
  static of(account: Pick<Caller, 'userId' | 'userName'>): UserType {
    return Object.assign(new UserType(), {
      id: toGlobalId(IdType.USER, account.userId),
      userName: account.userName,
      accountId: account.userId,
    });
  }
}

@ObjectType('Session', {
  implements: NodeInterface,
  description: 'A signed-in session of the viewer: one per `login`. Its token is never shown again.',
})
export class SessionType extends NodeInterface {
  @Field(() => Date, { description: 'When it was opened.' })
  createdAt!: Date;

  @Field(() => Date, { description: 'When it ends by itself: a day after `login`, 30 days with `remember`.' })
  expiresAt!: Date;

  @Field(() => Date, { description: 'When a request last used it (within a few minutes: it is cached).' })
  lastUsedAt!: Date;

  @Field(() => String, { nullable: true, description: 'The client address it was opened from.' })
  ip!: string | null;

  @Field(() => String, { nullable: true, description: 'The User-Agent it was opened with.' })
  userAgent!: string | null;

  @Field(() => Boolean, { description: 'Whether this is the session of the request asking.' })
  current!: boolean;

  static from(session: SessionView): SessionType {
    return Object.assign(new SessionType(), { ...session, id: toGlobalId(IdType.SESSION, session.id) });
  }
}

export const SessionConnection = connectionOf('Session', SessionType, 'session');
export type SessionConnection = InstanceType<typeof SessionConnection>;
