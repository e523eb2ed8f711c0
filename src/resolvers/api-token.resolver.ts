import {
  Arg,
  Args,
  Authorized,
  Ctx,
  FieldResolver,
  Mutation,
  Resolver,
  Root,
  UseMiddleware,
} from 'type-graphql';
import type { RequestContext } from '../context';
import { CreateApiTokenInput, IssueApiTokenInput, RevokeApiTokenInput } from '../schema/api-token.input';
import {
  CreateApiTokenPayload,
  IssueApiTokenPayload,
  RevokeApiTokenPayload,
} from '../schema/api-token.payload';
import { ApiTokenConnection, ApiTokenType } from '../schema/api-token.type';
import { ErrorCode } from '../schema/error-code';
import { IdType, localIdOf } from '../schema/global-id';
import { ConnectionArgs } from '../schema/relay';
import { INPUT, type Payload } from '../schema/user-error';
import { UserType } from '../schema/user.type';
import { MAX_API_TOKENS, type ApiTokenService, type CreatedApiToken } from '../services/api-token.service';
import { callerOf, ownedBy } from './caller';
import { ReportUserErrors } from './user-errors';

const created = ({ token, apiToken }: CreatedApiToken) => ({ token, apiToken: ApiTokenType.from(apiToken) });

@Resolver(() => UserType)
export class ApiTokenResolver {
  constructor(private readonly tokens: ApiTokenService) {}

  @FieldResolver(() => ApiTokenConnection, {
    nullable: true,
    description:
      'The account’s API tokens that have not expired, newest first (never its sessions); only for its owner.',
  })
  async apiTokens(
    @Ctx() context: RequestContext,
    @Root() user: UserType,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
  ): Promise<ApiTokenConnection | null> {
    const owner = ownedBy(context, user);
    if (!owner) return null;
    const listing = await this.tokens.list(context, owner, page);
    return ApiTokenConnection.from(listing, (apiToken) => ApiTokenType.from(apiToken));
  }

  @Authorized()
  @Mutation(() => CreateApiTokenPayload, {
    description: `Makes an API token for a program, and answers it this once. Needs a login session or a FULL token. NAME_TAKEN when the viewer has a token of that name; QUOTA_EXCEEDED past ${MAX_API_TOKENS} tokens.`,
  })
  @UseMiddleware(ReportUserErrors(CreateApiTokenPayload, { [ErrorCode.NAME_TAKEN]: ['input', 'name'] }))
  async createApiToken(
    @Ctx() context: RequestContext,
    @Arg('input', () => CreateApiTokenInput, { description: INPUT }) input: CreateApiTokenInput,
  ): Promise<Payload<CreateApiTokenPayload>> {
    return created(await this.tokens.create(context, callerOf(context), input));
  }

  @Mutation(() => IssueApiTokenPayload, {
    description:
      'Makes an API token for whoever knows the account’s name and password, for clients that have nothing else (the sm.ms v2 `token` endpoint). The password is checked, and the attempt counted, exactly as at `login`: a wrong one is a user error (UNAUTHENTICATED), and past the same limits RATE_LIMITED.',
  })
  @UseMiddleware(
    ReportUserErrors(IssueApiTokenPayload, {
      [ErrorCode.UNAUTHENTICATED]: ['input', 'password'],
      [ErrorCode.NAME_TAKEN]: ['input', 'name'],
    }),
  )
  async issueApiToken(
    @Ctx() context: RequestContext,
    @Arg('input', () => IssueApiTokenInput, { description: INPUT }) input: IssueApiTokenInput,
  ): Promise<Payload<IssueApiTokenPayload>> {
    return created(await this.tokens.issue(context, input));
  }

  @Authorized()
  @Mutation(() => RevokeApiTokenPayload, {
    description:
      'Revokes one of the viewer’s API tokens: it stops working at once. Needs a login session or a FULL token. Sessions are ended with `revokeSession` instead.',
  })
  @UseMiddleware(ReportUserErrors(RevokeApiTokenPayload, { [ErrorCode.NOT_FOUND]: ['input', 'id'] }))
  async revokeApiToken(
    @Ctx() context: RequestContext,
    @Arg('input', () => RevokeApiTokenInput, { description: INPUT }) input: RevokeApiTokenInput,
  ): Promise<Payload<RevokeApiTokenPayload>> {
    const id = localIdOf(input.id, [IdType.API_TOKEN], 'API token', ['input', 'id']);
    await this.tokens.revoke(context, callerOf(context), id);
    return { deletedIds: [input.id] };
  }
}
