// How spec 001 pages and formats its file lists (`myfiles`, `sharefiles`, `sharepic?cmd=normal`).
import { OK } from './codes';

/** The most entries one page may ask for (ARCHITECTURE.md, "Facade decisions"). */
export const MAX_PAGE_COUNT = 1000;

export interface PageWindow {
  offset: number;
  limit: number;
}

/** `start` (an integer from 0) and `count` (1 to 1000) of a list request; null when either is not. */
export function pageWindow(body: Record<string, unknown>): PageWindow | null {
  const { start, count } = body;
  if (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0) return null;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_PAGE_COUNT)
    return null;
  return { offset: start, limit: count };
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();

/** `YYYY-MM-DD HH:mm:ss` in `timeZone`, as spec 001's `create_time` and `time` read. */
export function legacyTime(instant: string | Date, timeZone: string): string {
  let format = timeFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    timeFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(
    format.formatToParts(new Date(instant)).map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

/** Spec 001's `type`: the lower-case extension, or the string `"null"` when the name has none. */
export function legacyFileType(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1).toLowerCase() : 'null';
}

/** A page of a list: `files` is left out when empty, as clients expect (spec 001 §4). */
export function listAnswer<Entry>(total: number, files: Entry[]) {
  return files.length ? { code: OK, count: files.length, total, files } : { code: OK, count: 0, total };
}
