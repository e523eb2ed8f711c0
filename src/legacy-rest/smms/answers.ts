import type { Response } from 'express';
import { create } from 'xmlbuilder2';
import type { Failure } from '../execute';
import { ErrorCode } from '../../schema/error-code';
import type { Image } from './operations';

/** An image as both versions describe it (spec 004 "返回数据说明"). */
export interface ImageData {
  width: number;
  height: number;
  filename: string;
  storename: string;
  size: number;
  path: string;
  hash: string;
  timestamp: number;
  url: string;
  delete: string;
}

/** `image` as spec 004 shows it; `deleteBase` is the door's own delete route, the hash appended. */
export function imageData(image: Image, deleteBase: string): ImageData {
  return {
    width: image.width,
    height: image.height,
    filename: image.filename,
    storename: image.storename,
    size: image.size,
    path: image.path,
    hash: image.deleteToken,
    timestamp: Math.floor(new Date(image.createdAt).getTime() / 1000),
    url: image.url,
    delete: `${deleteBase}${image.deleteToken}`,
  };
}

/**
 * What the client is told for a failed operation. The core words image-upload failures as sm.ms
 * does (`File is too large.`, …); anything else gets the nearest of spec 004's messages.
 */
export function failureMessage(result: Failure): string {
  switch (result.code) {
    case ErrorCode.UNAUTHENTICATED:
    case ErrorCode.FORBIDDEN:
      return 'Access Denied.';
    case ErrorCode.BAD_USER_INPUT:
    case ErrorCode.UNSUPPORTED_TYPE:
    case ErrorCode.PAYLOAD_TOO_LARGE:
    case ErrorCode.RATE_LIMITED:
    case ErrorCode.QUOTA_EXCEEDED:
    case ErrorCode.NOT_FOUND:
      return result.message;
    default:
      return 'Could not save uploaded file.';
  }
}

/** Values as XML elements; list items as `<item>` (spec 004 shows no XML, only that it exists). */
function toXml(value: unknown): string {
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('root');
  const add = (parent: ReturnType<typeof root.ele>, name: string, item: unknown) => {
    const element = parent.ele(name);
    if (Array.isArray(item)) for (const entry of item) add(element, 'item', entry);
    else if (item !== null && typeof item === 'object') {
      for (const [key, inner] of Object.entries(item)) add(element, key, inner);
    } else if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
      element.txt(String(item));
    }
  };
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) add(root, key, item);
  return root.end({ prettyPrint: false });
}

/** Sends `answer` as JSON, or as XML for `format=xml` (spec 004's `format`). */
export function send(response: Response, answer: object, format: string | undefined): void {
  if (format === 'xml') {
    response.type('application/xml; charset=utf-8').send(toXml(answer));
    return;
  }
  response.json(answer);
}
