import { Router, type Request } from 'express';
import { Upload } from 'graphql-upload-minimal';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import type { Executor } from '../execute';
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

interface ResolvableUpload extends Upload {
  // graphql-upload-minimal's typings leave out what its own multipart parser calls.
  resolve(file: {
    filename: string;
    fieldName: string;
    mimetype: string;
    encoding: string;
    createReadStream(): Readable;
  }): void;
}

/** The `Upload` scalar's value for bytes that arrived some other way than a GraphQL multipart request. */
function graphqlUpload(filename: string, content: Readable): Upload {
  const upload = new Upload() as ResolvableUpload;
  upload.resolve({
    filename,
    fieldName: 'file',
    mimetype: 'application/octet-stream',
    encoding: '7bit',
    // The core starts reading only once its own checks pass, and by then the bytes may already have
    // failed (a body cut short): a stream made at read time hands that failure to its reader.
    createReadStream: () => pipeline(content, new PassThrough({ highWaterMark: 1 << 20 }), () => undefined),
  });
  return upload;
}

function readUpload(request: Request): Promise<IncomingUpload> {
  const multipart =
    request.is('multipart/form-data') && /;\s*boundary=/i.test(request.get('content-type') ?? '');
  return multipart ? readWebUpload(request) : readDesktopUpload(request);
}

/**
 * Once the answer is known, whatever the client still sends is read and dropped. Even a body that
 * has fully arrived must be read to its end, or the connection cannot carry the next request.
 */
function discardRest(request: Request): void {
  request.unpipe();
  request.resume();
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
