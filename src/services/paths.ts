import { badInput } from '../app-error';

export const ROOT = '/';
const CONTROL = /\p{Cc}/u;

/** A file or folder name: 1–255 characters, no `/`, no control characters, not `.` or `..`. */
export function validateName(name: string): string {
  if (name.length < 1 || name.length > 255) throw badInput('A name must be 1 to 255 characters long');
  if (name.includes('/')) throw badInput('A name cannot contain "/"');
  if (CONTROL.test(name)) throw badInput('A name cannot contain control characters');
  if (name === '.' || name === '..') throw badInput('A name cannot be "." or ".."');
  return name;
}

/**
 * A folder path as stored in `nodes.dir`: `/` or `/a/b/`. Accepts `a/b`, `/a/b/` and repeated
 * slashes; every segment must be a valid name, so `..` can never climb out.
 */
export function toDir(folder: string): string {
  const segments = folder.split('/').filter((segment) => segment !== '');
  for (const segment of segments) validateName(segment);
  const dir = segments.length ? `/${segments.join('/')}/` : ROOT;
  if (dir.length > 4096) throw badInput('The folder path is too long');
  return dir;
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

/** `photo.png` → `photo (n).png`, shortening the stem so the result stays within 255 characters. */
export function numberedName(name: string, n: number): string {
  const [stem, extension] = splitName(name);
  const suffix = ` (${n})`;
  return `${stem.slice(0, 255 - suffix.length - extension.length)}${suffix}${extension}`;
}
