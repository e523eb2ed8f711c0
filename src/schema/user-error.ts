import { Field, ObjectType } from 'type-graphql';
import { ErrorCode } from './error-code';

@ObjectType('UserError', {
  description:
    'A failure the user can fix, such as a name that is taken or a field out of range. Signing in, rate limits, cost limits and faults of the server are top-level errors instead, with `extensions.code`.',
})
export class UserErrorType {
  @Field(() => ErrorCode, { description: 'What went wrong, from the same list as `extensions.code`.' })
  code!: ErrorCode;

  @Field(() => [String], {
    nullable: true,
    description:
      'The input at fault as a path from the arguments, such as `["input", "name"]`; null when none is.',
  })
  field!: string[] | null;

  @Field(() => String, { description: 'For people: what went wrong, in English.' })
  message!: string;
}

/** Every mutation answers a payload: what changed, or why nothing did. */
@ObjectType()
export abstract class PayloadType {
  @Field(() => [UserErrorType], {
    description:
      'Why the mutation did nothing (or, in a batch, did not do everything); empty when it succeeded.',
  })
  userErrors: UserErrorType[] = [];
}

/** What a mutation resolver returns: the parts of its payload it has; ReportUserErrors adds the rest. */
export type Payload<Type extends PayloadType> = Partial<Omit<Type, 'userErrors'>>;

/** The description of every mutation's one `input` argument. */
export const INPUT = 'What the mutation takes: one argument, as Relay mutations have it.';
