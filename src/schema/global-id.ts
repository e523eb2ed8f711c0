import { badInput } from '../app-error';

/** The types whose ids are global: every object a client may cache by id. */
export enum IdType {
  FILE = 'File',
  FOLDER = 'Folder',
  SHARE = 'Share',
  PICTURE_SHARE = 'PictureShare',
  USER = 'User',
  SESSION = 'Session',
  API_TOKEN = 'ApiToken',
  IMAGE_UPLOAD = 'ImageUpload',
}

const TYPES = new Set<string>(Object.values(IdType));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Opaque global ids (Relay's Global Object Identification): the type and the row's own id, so that
 * `node(id:)` finds any object and a client cache keys every object by `id` alone. Clients must not
 * take them apart; their spelling may change.
 */
export function toGlobalId(type: IdType, localId: string): string {
  return Buffer.from(`${type}:${localId}`).toString('base64url');
}

export interface DecodedId {
  type: IdType;
  localId: string;
}

/** The type and row id of a global id, or null for anything that is not one. */
export function fromGlobalId(id: string): DecodedId | null {
  if (id.length > 128) return null;
  const decoded = Buffer.from(id, 'base64url').toString('utf8');
  const separator = decoded.indexOf(':');
  const [type, localId] = [decoded.slice(0, separator), decoded.slice(separator + 1)];
  if (separator < 0 || !TYPES.has(type) || !UUID.test(localId)) return null;
  return { type: type as IdType, localId };
}

/**
 * The row id of a global id of one of `types`; BAD_USER_INPUT naming `what` (and the input `field`)
 * for any other id.
 */
export function localIdOf(id: string, types: readonly IdType[], what: string, field?: string[]): string {
  const decoded = fromGlobalId(id);
  if (!decoded || !types.includes(decoded.type)) throw badInput(`That is not the id of a ${what}`, field);
  return decoded.localId;
}
