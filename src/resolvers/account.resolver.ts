import {
  Arg,
  Args,
  Authorized,
  Ctx,
  FieldResolver,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  UseMiddleware,
} from 'type-graphql';
import type { RequestContext } from '../context';
import type { User } from '../entities/user.entity';
import { INPUT } from '../schema/user-error';
import {
  ChangePasswordInput,
  LoginInput,
  RegisterInput,
  RequestPasswordResetInput,
  ResetPasswordInput,
  SessionTokenKind,
  RevokeSessionInput,
  SetStorageQuotaInput,
} from '../schema/auth.input';
import {
  ChangePasswordPayload,
  LoginPayload,
  LogoutPayload,
  RegisterPayload,
  RequestPasswordResetPayload,
  ResetPasswordPayload,
  RevokeSessionPayload,
  SetStorageQuotaPayload,
} from '../schema/auth.payload';
import { ErrorCode } from '../schema/error-code';
import { IdType, localIdOf, toGlobalId } from '../schema/global-id';
import { ConnectionArgs } from '../schema/relay';
import { ByteCountScalar } from '../schema/scalars';
import type { Payload } from '../schema/user-error';
import { SessionConnection, SessionType, UserType } from '../schema/user.type';
import type { AuthService } from '../services/auth.service';
import type { DriveService } from '../services/drive.service';
import type { PasswordResetService } from '../services/password-reset.service';
import type { QuotaService } from '../services/quota.service';
import { callerOf, ownedBy } from './caller';
import { ReportUserErrors } from './user-errors';

@Resolver(() => UserType)
export class AccountResolver {
  constructor(
    private readonly auth: AuthService,
    private readonly quota: QuotaService,
    private readonly drive: DriveService,
    private readonly passwordResets: PasswordResetService,
  ) {}

  @Authorized()
  @Query(() => UserType, { description: 'The signed-in account.' })
  viewer(@Ctx() context: RequestContext): UserType {
    return UserType.of(callerOf(context));
  }

  @Authorized()
  @Query(() => UserType, {
    description: 'The signed-in account.',
    deprecationReason: 'Use `viewer`. Removal: 2027-06-30.',
  })
  me(@Ctx() context: RequestContext): UserType {
    return this.viewer(context);
  }

  @FieldResolver(() => String, { description: 'The name shown to others, at most 32 characters.' })
  async nickName(@Ctx() context: RequestContext, @Root() user: UserType): Promise<string> {
    return (await this.account(context, user)).nickName;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Unique when given; used for password recovery.',
  })
  async email(@Ctx() context: RequestContext, @Root() user: UserType): Promise<string | null> {
    return (await this.account(context, user)).email;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'At most 16 digits, spaces, dashes or parentheses.',
  })
  async phone(@Ctx() context: RequestContext, @Root() user: UserType): Promise<string | null> {
    return (await this.account(context, user)).phone;
  }

  @FieldResolver(() => Date, { description: 'When the account was registered.' })
  async createdAt(@Ctx() context: RequestContext, @Root() user: UserType): Promise<Date> {
    return (await this.account(context, user)).createdAt;
  }

  @FieldResolver(() => ByteCountScalar, {
    description: 'Bytes the account’s files take, each counted in full however many share its content.',
  })
  async usedBytes(@Ctx() context: RequestContext, @Root() user: UserType): Promise<number> {
    return (await this.account(context, user)).usedBytes;
  }

  @FieldResolver(() => ByteCountScalar, {
    nullable: true,
    description:
      'The most bytes the account may keep (its own quota, else DEFAULT_QUOTA_BYTES); null for unlimited.',
  })
  async quotaBytes(@Ctx() context: RequestContext, @Root() user: UserType): Promise<number | null> {
    return this.quota.quotaOf(await this.account(context, user));
  }

  @FieldResolver(() => Int, {
    nullable: true,
    description: 'How many files the account has; only for its owner.',
  })
  async fileCount(@Ctx() context: RequestContext, @Root() user: UserType): Promise<number | null> {
    const owner = ownedBy(context, user);
    return owner && this.drive.countFiles(context, owner);
  }

  @FieldResolver(() => SessionConnection, {
    nullable: true,
    description: 'The account’s sessions that have not ended, newest first; only for its owner.',
  })
  async sessions(
    @Ctx() context: RequestContext,
    @Root() user: UserType,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
  ): Promise<SessionConnection | null> {
    const owner = ownedBy(context, user);
    if (!owner) return null;
    const listing = await this.auth.listSessions(context, owner, page);
    return SessionConnection.from(listing, (session) => SessionType.from(session));
  }

  @Mutation(() => RegisterPayload, {
    description: `Creates an account. USER_EXISTS or EMAIL_TAKEN when taken; REGISTER_IP_LIMIT registrations per address an hour.`,
  })
  @UseMiddleware(
    ReportUserErrors(RegisterPayload, {
      [ErrorCode.USER_EXISTS]: ['input', 'userName'],
      [ErrorCode.EMAIL_TAKEN]: ['input', 'email'],
    }),
  )
  async register(
    @Ctx() context: RequestContext,
    @Arg('input', () => RegisterInput, { description: INPUT }) input: RegisterInput,
  ): Promise<Payload<RegisterPayload>> {
    return { user: UserType.from(await this.auth.register(context, input)) };
  }

  @Mutation(() => LoginPayload, {
    description:
      'Opens a session and answers its bearer token. A wrong name or password is a user error (UNAUTHENTICATED); LOGIN_ACCOUNT_LIMIT attempts per account and LOGIN_IP_LIMIT per address in 15 minutes, then RATE_LIMITED.',
  })
  @UseMiddleware(ReportUserErrors(LoginPayload, { [ErrorCode.UNAUTHENTICATED]: ['input', 'password'] }))
  async login(
    @Ctx() context: RequestContext,
    @Arg('input', () => LoginInput, { description: INPUT }) input: LoginInput,
  ): Promise<Payload<LoginPayload>> {
    const { token, expiresAt, user } = await this.auth.login(context, {
      ...input,
      jwt: input.tokenKind === SessionTokenKind.JWT,
    });
    return { token, expiresAt, viewer: UserType.from(user) };
  }

  @Authorized()
  @Mutation(() => LogoutPayload, {
    description:
      'Ends the session of this request: its token stops working. FORBIDDEN with an API token, which is no session (`revokeApiToken` ends it).',
  })
  @UseMiddleware(ReportUserErrors(LogoutPayload))
  async logout(@Ctx() context: RequestContext): Promise<Payload<LogoutPayload>> {
    const sessionId = await this.auth.logout(context, callerOf(context));
    return { deletedIds: [toGlobalId(IdType.SESSION, sessionId)] };
  }

  @Authorized()
  @Mutation(() => ChangePasswordPayload, {
    description:
      'Changes the password and ends every other session. FORBIDDEN when the current one is wrong.',
  })
  @UseMiddleware(ReportUserErrors(ChangePasswordPayload, { [ErrorCode.FORBIDDEN]: ['input', 'current'] }))
  async changePassword(
    @Ctx() context: RequestContext,
    @Arg('input', () => ChangePasswordInput, { description: INPUT }) input: ChangePasswordInput,
  ): Promise<Payload<ChangePasswordPayload>> {
    const caller = callerOf(context);
    const ended = await this.auth.changePassword(context, caller, input.current, input.next);
    return {
      viewer: UserType.of(caller),
      deletedIds: ended.map((id) => toGlobalId(IdType.SESSION, id)),
    };
  }

  @Authorized()
  @Mutation(() => RevokeSessionPayload, {
    description: 'Ends one of the viewer’s sessions: its token stops working.',
  })
  @UseMiddleware(ReportUserErrors(RevokeSessionPayload, { [ErrorCode.NOT_FOUND]: ['input', 'id'] }))
  async revokeSession(
    @Ctx() context: RequestContext,
    @Arg('input', () => RevokeSessionInput, { description: INPUT }) input: RevokeSessionInput,
  ): Promise<Payload<RevokeSessionPayload>> {
    const id = localIdOf(input.id, [IdType.SESSION], 'session', ['input', 'id']);
    await this.auth.revokeSession(context, callerOf(context), id);
    return { deletedIds: [input.id] };
  }

  @Authorized()
  @Mutation(() => SetStorageQuotaPayload, {
    description:
      'Sets the storage quota of an account; administrators only (`users.is_admin`, set in the database), else FORBIDDEN.',
  })
  @UseMiddleware(
    ReportUserErrors(SetStorageQuotaPayload, {
      [ErrorCode.NOT_FOUND]: ['input', 'userName'],
      [ErrorCode.FORBIDDEN]: ['input', 'userName'],
    }),
  )
  async setStorageQuota(
    @Ctx() context: RequestContext,
    @Arg('input', () => SetStorageQuotaInput, { description: INPUT }) input: SetStorageQuotaInput,
  ): Promise<Payload<SetStorageQuotaPayload>> {
    const user = await this.quota.setQuota(
      context,
      callerOf(context),
      input.userName,
      input.quotaBytes ?? null,
    );
    return { user: UserType.from(user) };
  }

  @Mutation(() => RequestPasswordResetPayload, {
    description:
      'Mails a single-use link, good for an hour, to set a new password, if an account has this address. Answers alike either way. No sign-in needed.',
  })
  @UseMiddleware(ReportUserErrors(RequestPasswordResetPayload))
  async requestPasswordReset(
    @Ctx() context: RequestContext,
    @Arg('input', () => RequestPasswordResetInput, { description: INPUT }) input: RequestPasswordResetInput,
  ): Promise<Payload<RequestPasswordResetPayload>> {
    await this.passwordResets.request(context, input.email);
    return {};
  }

  @Mutation(() => ResetPasswordPayload, {
    description:
      'Sets a new password with the token of a reset link, and ends every session of the account. NOT_FOUND for an unknown token, GONE for a used one, LINK_EXPIRED past its hour.',
  })
  @UseMiddleware(
    ReportUserErrors(ResetPasswordPayload, {
      [ErrorCode.NOT_FOUND]: ['input', 'token'],
      [ErrorCode.GONE]: ['input', 'token'],
      [ErrorCode.LINK_EXPIRED]: ['input', 'token'],
    }),
  )
  async resetPassword(
    @Ctx() context: RequestContext,
    @Arg('input', () => ResetPasswordInput, { description: INPUT }) input: ResetPasswordInput,
  ): Promise<Payload<ResetPasswordPayload>> {
    const userId = await this.passwordResets.reset(context, input.token, input);
    return { userName: (await this.auth.findUser(context, userId)).userName };
  }

  /** The row behind `user`, as its maker had it or read once for the request. */
  private account(context: RequestContext, user: UserType): Promise<User> {
    return user.row ? Promise.resolve(user.row) : this.auth.findUser(context, user.accountId);
  }
}
