import { badInput } from '../app-error';

export const ROOT = '/';
/** A name, in UTF-8 bytes, as most file systems count it. */
export const MAX_NAME_BYTES = 255;
/**
 * A folder path (`nodes.dir`), in UTF-8 bytes. Together with a name it must fit a btree index entry
 * (2 704 bytes), which is what the unique path index needs.
 */
export const MAX_DIR_BYTES = 2048;
const CONTROL = /\p{Cc}/u;
/** Marks and overrides that make a name display in another order than it reads (`gpj.exe` tricks). */
const BIDI_CONTROL = /[\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

/** Why `name` cannot name a file, folder or account, or null when it can; `what` starts the message. */
export function nameProblem(name: string, what = 'A name'): string | null {
  if (name.length === 0 || Buffer.byteLength(name) > MAX_NAME_BYTES) {
    return `${what} must be 1 to ${MAX_NAME_BYTES} bytes long`;
  }
  if (name.includes('/')) return `${what} cannot contain "/"`;
  // Windows clients read it as a separator: such a name would name another path there.
  if (name.includes('\\')) return `${what} cannot contain "\\"`;
  if (CONTROL.test(name)) return `${what} cannot contain control characters`;
  if (BIDI_CONTROL.test(name)) return `${what} cannot contain text-direction controls`;
  if (name === '.' || name === '..') return `${what} cannot be "." or ".."`;
  return null;
}

/** A file or folder name: 1–255 bytes, no `/`, no control or text-direction characters, not `.` or `..`. */
export function validateName(name: string): string {
  const problem = nameProblem(name);
  if (problem) throw badInput(problem);
  return name;
}

/**
 * A folder path as stored in `nodes.dir`: `/` or `/a/b/`. Accepts `a/b` and `/a/b/`; every segment
 * must be a valid name, so `..` can never climb out, and an empty one (`/a//b`) is refused rather than
 * guessed at.
 */
export function toDir(folder: string): string {
  if (folder === '' || folder === ROOT) return ROOT;
  const segments = folder.replace(/^\//, '').replace(/\/$/, '').split('/');
  for (const segment of segments) {
    if (segment === '') throw badInput('A path cannot contain an empty segment ("//")');
    validateName(segment);
  }
  const dir = `/${segments.join('/')}/`;
  if (Buffer.byteLength(dir) > MAX_DIR_BYTES) {
    throw badInput(`A folder path must be at most ${MAX_DIR_BYTES} bytes long`);
  }
  return dir;
}

/**
 * The path of one file or folder, such as `/photos/cat.png`, as `toDir` reads it; a trailing `/`
 * would make a file's path read as a folder's, so it is refused.
 */
export function itemDir(path: string): string {
  if (path.length > 1 && path.endsWith('/')) throw badInput('A path to a file or folder cannot end with "/"');
  return toDir(path);
}

/** The `dir` of a folder's children: the folder's own path with a trailing slash. */
export const childDirOf = (dir: string, name: string) => `${dir}${name}/`;

/** Every ancestor folder of `dir` as `[parentDir, name]`, outermost first. */
export function ancestorsOf(dir: string): [string, string][] {
  const segments = dir.split('/').filter(Boolean);
  return segments.map((name, index) => [
    index === 0 ? ROOT : `/${segments.slice(0, index).join('/')}/`,
    name,
  ]);
}

/** `photo.png` → `['photo', '.png']`; a leading dot is part of the stem, so `.env` → `['.env', '']`. */
export function splitName(name: string): [stem: string, extension: string] {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
}

/** The longest start of `text` that fits in `maxBytes` of UTF-8, never splitting a character. */
function truncateToBytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const character of text) {
    bytes += Buffer.byteLength(character);
    if (bytes > maxBytes) break;
    end += character.length;
  }
  return text.slice(0, end);
}

/**
 * `photo.png` → `photo (n).png`, shortening the stem so the result stays within MAX_NAME_BYTES. An
 * extension too long to leave room for a stem counts as part of the stem.
 */
export function numberedName(name: string, n: number): string {
  const suffix = ` (${n})`;
  let [stem, extension] = splitName(name);
  if (Buffer.byteLength(extension) + Buffer.byteLength(suffix) >= MAX_NAME_BYTES) {
    [stem, extension] = [name, ''];
  }
  const room = MAX_NAME_BYTES - Buffer.byteLength(suffix) - Buffer.byteLength(extension);
  return `${truncateToBytes(stem, room)}${suffix}${extension}`;
}
