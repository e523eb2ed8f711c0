import type { Readable } from 'node:stream';

/** An upload whose head has been read, whichever client format it came in; its bytes not yet. */
export interface IncomingUpload {
  filename: string;
  /** A token sent in the body itself; else the request's header or cookie counts. */
  token?: string;
  /** The account the client says it uploads for, when it says so before the bytes. */
  user?: string;
  /** Declared before the bytes (the desktop client's format); the core checks the bytes against them. */
  md5?: string;
  size?: number;
  /**
   * The file's bytes. A format that declares after the bytes (the web client's) checks them here,
   * failing the stream before it ends when they disagree or name another account than `userName`.
   */
  content(userName: string): Readable;
  /** True once `content` failed because the upload named another account than the token's. */
  readonly namedAnotherUser: boolean;
}

export { MalformedUploadError } from '../upload-value';

const DECIMAL = /^\d{1,15}$/;

/** A declared `size`: plain decimal digits, else null. */
export function declaredSize(text: string | undefined): number | null {
  return text !== undefined && DECIMAL.test(text) ? Number(text) : null;
}
