import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { DirectLinkStatus } from '../services/direct-link.service';
import { SignedUrlType } from './drive-item.type';
import { ByteCountScalar, UrlScalar } from './scalars';

registerEnumType(DirectLinkStatus, {
  name: 'DirectLinkStatus',
  description: 'Whether a direct link serves its file to whoever holds it, and if not, why not.',
  valuesConfig: {
    OPEN: { description: 'It serves the file: `download` works.' },
    EXPIRED: { description: 'Its time is up.' },
    KEY_REQUIRED: { description: 'It has a key, and none was given.' },
    KEY_INVALID: { description: 'It has a key, and this is not it.' },
    FILE_GONE: { description: 'Its file has been deleted.' },
  },
});

@ObjectType('DirectLink', {
  description:
    'A direct link to a file (Netdisk `shareFile`): a signed token naming the file, when it expires and, maybe, a key. Whoever has it (and the key) may download until then; it cannot be changed to name another file or live longer.',
})
export class DirectLinkType {
  @Field(() => String, { description: 'The signed token (a JWT); it is the link.' })
  token!: string;

  @Field(() => UrlScalar, {
    description: 'The link to hand out: `/Netdisk/download/<token>` (add `?key=` when it has one).',
  })
  url!: string;

  @Field(() => Date, { description: 'When it stops working.' })
  expiresAt!: Date;

  @Field(() => String, {
    nullable: true,
    description:
      'Its key, only in the answer of `createDirectLink`; null otherwise and for a link with none.',
  })
  key!: string | null;

  @Field(() => DirectLinkStatus, { description: 'Whether it serves its file now.' })
  status!: DirectLinkStatus;

  @Field(() => String, { nullable: true, description: 'The file’s name, while the link is OPEN.' })
  name!: string | null;

  @Field(() => ByteCountScalar, {
    nullable: true,
    description: 'The file’s length in bytes, while the link is OPEN.',
  })
  size!: number | null;

  @Field(() => String, { nullable: true, description: 'The file’s type, while the link is OPEN.' })
  contentType!: string | null;

  @Field(() => SignedUrlType, {
    nullable: true,
    description: 'A download of the file, while the link is OPEN.',
  })
  download!: SignedUrlType | null;
}
