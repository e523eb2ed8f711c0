import { Router, type Request } from 'express';
import type { Executor } from '../execute';
import { discardRest, graphqlUpload } from '../upload-value';
import { imageHostCode, OK } from './codes';
import { readDesktopUpload } from './desktop-upload.parser';
import type { IncomingUpload } from './incoming-upload';
import { readWebUpload } from './web-upload.parser';
import { ErrorCode } from '../../schema/error-code';

const WHO_AM_I = /* GraphQL */ `
  query LegacyUploader {
    viewer {
      userName
    }
  }
`;

const UPLOAD_FILE = /* GraphQL */ `
  mutation LegacyUpload($file: Upload!, $md5: String, $size: ByteCount) {
    uploadFile(input: { file: $file, folder: "/", md5: $md5, size: $size }) {
      file {
        id
      }
      userErrors {
        code
        message
      }
    }
  }
`;

function readUpload(request: Request): Promise<IncomingUpload> {
  const multipart =
    request.is('multipart/form-data') && /;\s*boundary=/i.test(request.get('content-type') ?? '');
  return multipart ? readWebUpload(request) : readDesktopUpload(request);
}

/** Spec 001 §17 `/api/upload`, in both client formats, streamed straight into the core. */
export function uploadRoutes(executor: Executor): Router {
  const router = Router();

  router.post('/upload', async (request, response) => {
    const answer = (code: number) => {
      discardRest(request);
      response.json({ code });
    };
    let upload: IncomingUpload;
    try {
      upload = await readUpload(request);
    } catch {
      answer(imageHostCode(ErrorCode.BAD_USER_INPUT));
      return;
    }
    const credentials = { token: upload.token, userName: upload.user };
    const uploader = await executor.run<{ viewer: { userName: string } }>(
      request,
      { query: WHO_AM_I },
      credentials,
    );
    if (!uploader.ok) {
      answer(imageHostCode(uploader.code));
      return;
    }
    const result = await executor.mutate(
      request,
      {
        query: UPLOAD_FILE,
        variables: {
          file: graphqlUpload(upload.filename, upload.content(uploader.data.viewer.userName)),
          md5: upload.md5,
          size: upload.size,
        },
      },
      credentials,
    );
    if (result.ok) answer(OK);
    else answer(imageHostCode(upload.namedAnotherUser ? ErrorCode.UNAUTHENTICATED : result.code));
  });

  return router;
}
