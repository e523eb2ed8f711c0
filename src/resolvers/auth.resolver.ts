import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context';
import { ChangePasswordInput, LoginInput, RegisterInput } from '../schema/auth.input';
import { AuthPayloadType, UserType } from '../schema/user.type';
import type { AuthService } from '../services/auth.service';
import { callerOf } from './caller';

@Resolver()
export class AuthResolver {
  constructor(private readonly auth: AuthService) {}

  @Mutation(() => UserType, { description: 'Creates an account. Fails with USER_EXISTS or EMAIL_TAKEN.' })
  register(@Ctx() context: RequestContext, @Arg('input', () => RegisterInput) input: RegisterInput) {
    return this.auth.register(context, input);
  }

  @Mutation(() => AuthPayloadType, { description: 'Opens a session and returns its bearer token.' })
  login(@Ctx() context: RequestContext, @Arg('input', () => LoginInput) input: LoginInput) {
    return this.auth.login(context, input);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: "Ends the caller's session." })
  async logout(@Ctx() context: RequestContext): Promise<boolean> {
    await this.auth.logout(context, callerOf(context));
    return true;
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Changes the password and ends every other session.' })
  async changePassword(
    @Ctx() context: RequestContext,
    @Arg('input', () => ChangePasswordInput) input: ChangePasswordInput,
  ): Promise<boolean> {
    await this.auth.changePassword(context, callerOf(context), input.current, input.next);
    return true;
  }

  @Authorized()
  @Query(() => UserType, { description: 'The signed-in account.' })
  me(@Ctx() context: RequestContext) {
    return this.auth.findUser(context, callerOf(context).userId);
  }
}
