import { Field, ObjectType } from 'type-graphql';
import type { User } from '../entities/user.entity';
import type { SessionView } from '../services/auth.service';
import { IdType, toGlobalId } from './global-id';
import { connectionOf, NodeInterface } from './relay';
import { ByteCountScalar } from './scalars';

@ObjectType('User', {
  implements: NodeInterface,
  description: 'An account. Only its owner sees it (as `viewer`), and administrators where they set quotas.',
})
export class UserType extends NodeInterface {
  @Field(() => String, {
    description: 'Unique in any letter case; 1 to 32 characters, no `/`, control characters or outer spaces.',
  })
  userName!: string;

  @Field(() => String, { description: 'The name shown to others, at most 32 characters.' })
  nickName!: string;

  @Field(() => String, { nullable: true, description: 'Unique when given; used for password recovery.' })
  email!: string | null;

  @Field(() => String, { nullable: true, description: 'At most 16 digits, spaces, dashes or parentheses.' })
  phone!: string | null;

  @Field(() => Date, { description: 'When the account was registered.' })
  createdAt!: Date;

  @Field(() => ByteCountScalar, {
    description: 'Bytes the account’s files take, each counted in full however many share its content.',
  })
  usedBytes!: number;

  /** The row this object shows, for field resolvers. */
  user!: User;

  static from(user: User): UserType {
    return Object.assign(new UserType(), {
      id: toGlobalId(IdType.USER, user.id),
      userName: user.userName,
      nickName: user.nickName,
      email: user.email,
      phone: user.phone,
      createdAt: user.createdAt,
      usedBytes: user.usedBytes,
      user,
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
