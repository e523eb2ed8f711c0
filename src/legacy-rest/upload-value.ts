import type { Request } from 'express';
import { Upload } from 'graphql-upload-minimal';
import { PassThrough, pipeline, type Readable } from 'node:stream';

/** A request body that is not a well-formed upload in the format its door reads. */
export class MalformedUploadError extends Error {}

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
export function graphqlUpload(filename: string, content: Readable): Upload {
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

/**
 * Once the answer is known, whatever the client still sends is read and dropped. Even a body that
 * has fully arrived must be read to its end, or the connection cannot carry the next request.
 */
export function discardRest(request: Request): void {
  request.unpipe();
  request.resume();
}
