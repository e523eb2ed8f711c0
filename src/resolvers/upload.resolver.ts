import { Arg, Authorized, Ctx, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import type { RequestContext } from '../context';
import { INPUT } from '../schema/user-error';
import { InstantUploadInput, UploadFileInput } from '../schema/drive-item.input';
import { InstantUploadPayload, UploadFilePayload } from '../schema/drive-item.payload';
import { FileType } from '../schema/drive-item.type';
import { ErrorCode } from '../schema/error-code';
import type { Payload } from '../schema/user-error';
import { ConflictPolicy } from '../services/drive.service';
import type { UploadService } from '../services/upload.service';
import { callerOf, UPLOAD, uploaderOf } from './caller';
import { ReportUserErrors } from './user-errors';

@Resolver()
export class UploadResolver {
  constructor(private readonly uploads: UploadService) {}

  @Authorized(UPLOAD)
  @Mutation(() => UploadFilePayload, {
    description:
      'Uploads one file (GraphQL multipart request spec; send `Apollo-Require-Preflight: true`). Identical content is stored once. Past MAX_UPLOAD_BYTES: PAYLOAD_TOO_LARGE; past the quota: QUOTA_EXCEEDED; both refused while the bytes stream, and nothing is kept. An UPLOAD-scoped API token may run it, but not with `onConflict: REPLACE` (FORBIDDEN).',
  })
  @UseMiddleware(
    ReportUserErrors(UploadFilePayload, {
      [ErrorCode.NAME_TAKEN]: ['input', 'name'],
      // The file's own name, when none is given, is checked only once the file arrives.
      [ErrorCode.BAD_USER_INPUT]: ['input', 'name'],
      [ErrorCode.CONTENT_MISMATCH]: ['input', 'file'],
      [ErrorCode.PAYLOAD_TOO_LARGE]: ['input', 'file'],
      [ErrorCode.QUOTA_EXCEEDED]: ['input', 'file'],
      [ErrorCode.FORBIDDEN]: ['input', 'onConflict'],
    }),
  )
  async uploadFile(
    @Ctx() context: RequestContext,
    @Arg('input', () => UploadFileInput, { description: INPUT }) input: UploadFileInput,
  ): Promise<Payload<UploadFilePayload>> {
    // Replacing a file deletes one the token may not have uploaded: that takes more than uploading.
    const caller = input.onConflict === ConflictPolicy.REPLACE ? callerOf(context) : uploaderOf(context);
    const upload = await input.file;
    const item = await this.uploads.upload(context, caller, upload.createReadStream(), {
      // A part may carry no file name at all; '' is then refused as a name like any other bad one.
      name: input.name ?? upload.filename ?? '',
      folder: input.folder,
      onConflict: input.onConflict,
      // An explicit null is how GraphQL clients say "not given".
      md5: input.md5 ?? undefined,
      size: input.size ?? undefined,
    });
    return { file: FileType.from(item) };
  }

  @Authorized()
  @Mutation(() => InstantUploadPayload, {
    description:
      'Adds a file from content the server already has, by md5: no bytes are sent. Only content the viewer already has or that is shared publicly counts; anything else is CONTENT_UNKNOWN, and the client uploads the bytes.',
  })
  @UseMiddleware(
    ReportUserErrors(InstantUploadPayload, {
      [ErrorCode.CONTENT_UNKNOWN]: ['input', 'md5'],
      [ErrorCode.ALREADY_OWNED]: ['input', 'name'],
      [ErrorCode.NAME_TAKEN]: ['input', 'name'],
    }),
  )
  async instantUpload(
    @Ctx() context: RequestContext,
    @Arg('input', () => InstantUploadInput, { description: INPUT }) input: InstantUploadInput,
  ): Promise<Payload<InstantUploadPayload>> {
    return { file: FileType.from(await this.uploads.instantUpload(context, callerOf(context), input)) };
  }
}
