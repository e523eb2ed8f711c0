import { badInput } from '../app-error';
import type { RequestContext } from '../context';
import { runPrepared } from '../db/prepared';

/** The most items one page may hold, and how many a page holds unless asked otherwise. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export enum OrderDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}

/** A page as Relay clients ask for one: `first` after a cursor, or `last` before one. */
export interface PageRequest {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** One column a list is ordered by. Its values travel in cursors as text and are cast back. */
export interface SortKey {
  /** The SQL expression, never null (coalesce it if it may be). */
  expression: string;
  type: KeyType;
  direction: OrderDirection;
}

type KeyType = 'timestamptz' | 'text' | 'bigint' | 'int' | 'uuid';

/**
 * How each type of key travels in a cursor: the text a value is written as, the SQL that reads it
 * back, and what a well-formed value looks like, so that a forged cursor is the client's mistake and
 * never reaches a cast that fails. Times travel as integer microseconds: exact, whatever the
 * session's time zone or date style.
 */
const KEY_TYPES: Record<
  KeyType,
  { write(sql: string): string; read(placeholder: string): string; valid: RegExp }
> = {
  timestamptz: {
    write: (sql) => `(extract(epoch FROM ${sql}) * 1000000)::bigint::text`,
    read: (placeholder) => `(timestamptz 'epoch' + ${placeholder}::bigint * interval '1 microsecond')`,
    valid: /^-?\d{1,16}$/,
  },
  bigint: {
    write: (sql) => `(${sql})::text`,
    read: (placeholder) => `${placeholder}::bigint`,
    valid: /^-?\d{1,18}$/,
  },
  int: {
    write: (sql) => `(${sql})::text`,
    read: (placeholder) => `${placeholder}::int`,
    valid: /^-?\d{1,9}$/,
  },
  uuid: {
    write: (sql) => `(${sql})::text`,
    read: (placeholder) => `${placeholder}::uuid`,
    valid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  },
  text: {
    write: (sql) => `(${sql})::text`,
    read: (placeholder) => `${placeholder}::text`,
    valid: /^[^\0]{0,1024}$/,
  },
};

/**
 * An order of a list, ending in a unique key so that every item has one place. `name` is written
 * into each cursor, so a cursor of one order cannot be used with another.
 */
export interface Ordering {
  name: string;
  keys: SortKey[];
}

export interface Page<Item> {
  items: Item[];
  /** The cursor of each item, in the same order. */
  cursors: string[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

/** A page of a list, and how to count the whole list (a query of its own, run only when wanted). */
export interface Listing<Item> extends Page<Item> {
  totalCount(): Promise<number>;
}

/** The parts of a keyset query for one page, to put into the list's own SQL. */
export interface PageQuery {
  /** Select-list entries (`expr::text AS page_key_0, …`) that `finish` reads the cursors from. */
  keyColumns: string;
  /** `AND …` placing the page after and/or before its cursors; empty for the first page. */
  condition: string;
  orderBy: string;
  /** The placeholder of the page's size, one more than asked for: a row beyond it says that more follow. */
  limit: string;
  /** The values of the placeholders `condition` and `limit` use, numbered from the given first one. */
  parameters: string[];
  /** The page from the rows the query returned. */
  finish<Row extends object>(rows: Row[]): Page<Row>;
}

/** Whether an optional argument was given: GraphQL clients leave one out or send null alike. */
export function given<Value>(value: Value | null | undefined): value is Value {
  return value !== null && value !== undefined;
}

function pageSize(request: PageRequest): { size: number; backwards: boolean } {
  if (given(request.first) && given(request.last)) throw badInput('Give either first or last, not both');
  const size = request.first ?? request.last ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw badInput(`A page holds 0 to ${MAX_PAGE_SIZE} items`);
  }
  return { size, backwards: given(request.last) };
}

function encodeCursor(ordering: Ordering, values: string[]): string {
  return Buffer.from(JSON.stringify([ordering.name, ...values])).toString('base64url');
}

function decodeCursor(ordering: Ordering, cursor: string): string[] {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = null;
  }
  const values = Array.isArray(decoded) ? (decoded as unknown[]).slice(1) : [];
  if (
    !Array.isArray(decoded) ||
    decoded[0] !== ordering.name ||
    values.length !== ordering.keys.length ||
    !values.every(
      (value, index) => typeof value === 'string' && KEY_TYPES[ordering.keys[index].type].valid.test(value),
    )
  ) {
    throw badInput('That cursor does not belong to this list or its order');
  }
  return values as string[];
}

/**
 * The condition for rows strictly beyond `values` in the ordering (`after`), or strictly before them.
 * Keys all ordered the same way make one row comparison, which an index in that order serves.
 */
function beyond(
  keys: SortKey[],
  values: string[],
  after: boolean,
  placeholder: (value: string, key: SortKey) => string,
) {
  const operator = (key: SortKey) => ((key.direction === OrderDirection.ASC) === after ? '>' : '<');
  const bound = keys.map((key, index) => placeholder(values[index], key));
  if (keys.every((key) => operator(key) === operator(keys[0]))) {
    return `(${keys.map((key) => key.expression).join(', ')}) ${operator(keys[0])} (${bound.join(', ')})`;
  }
  const alternatives = keys.map((key, index) =>
    [
      ...keys.slice(0, index).map((earlier, before) => `${earlier.expression} = ${bound[before]}`),
      `${key.expression} ${operator(key)} ${bound[index]}`,
    ].join(' AND '),
  );
  return `(${alternatives.map((alternative) => `(${alternative})`).join(' OR ')})`;
}

/**
 * The keyset query for one page of a list in `ordering`: items added or removed meanwhile are never
 * repeated or skipped, as a page starts right after (or ends right before) the item its cursor names.
 * `firstParameter` is the number of the first placeholder left to this query.
 */
export function pageQuery(ordering: Ordering, request: PageRequest, firstParameter: number): PageQuery {
  const { size, backwards } = pageSize(request);
  const parameters: string[] = [];
  const next = (value: string) => `$${firstParameter + parameters.push(value) - 1}`;
  const placeholder = (value: string, key: SortKey) => KEY_TYPES[key.type].read(next(value));
  const conditions: string[] = [];
  if (given(request.after)) {
    conditions.push(beyond(ordering.keys, decodeCursor(ordering, request.after), true, placeholder));
  }
  if (given(request.before)) {
    conditions.push(beyond(ordering.keys, decodeCursor(ordering, request.before), false, placeholder));
  }
  const flip = (direction: OrderDirection) =>
    direction === OrderDirection.ASC ? OrderDirection.DESC : OrderDirection.ASC;
  const orderBy = ordering.keys
    .map((key) => `${key.expression} ${backwards ? flip(key.direction) : key.direction}`)
    .join(', ');
  return {
    keyColumns: keyColumnsOf(ordering),
    condition: conditions.map((condition) => ` AND ${condition}`).join(''),
    orderBy,
    limit: next(String(size + 1)),
    parameters,
    finish<Row extends object>(rows: Row[]): Page<Row> {
      const more = rows.length > size;
      const items = rows.slice(0, size);
      if (backwards) items.reverse();
      const cursors = items.map((row) => cursorOfRow(ordering, row));
      return {
        items,
        cursors,
        // Looking the other way would cost a query; Relay lets a server answer from what it knows.
        hasNextPage: backwards ? given(request.before) : more,
        hasPreviousPage: backwards ? more : given(request.after),
      };
    },
  };
}

/** Newest first, ties by id: the order of most lists. `alias` is the table's alias in the list's query. */
export function newestFirst(name: string, alias: string): Ordering {
  return {
    name,
    keys: [
      { expression: `${alias}.created_at`, type: 'timestamptz', direction: OrderDirection.DESC },
      { expression: `${alias}.id`, type: 'uuid', direction: OrderDirection.DESC },
    ],
  };
}

/** A list read a keyset page at a time, and counted, with the same tables and condition. */
export interface KeysetList {
  ordering: Ordering;
  /** The select list, without the page's key columns. */
  columns: string;
  /** The tables and joins (`FROM …`). */
  from: string;
  /** What the count reads instead, when the joins only add columns (`FROM shares s`). */
  countFrom?: string;
  /** Which rows the list holds; its placeholders are numbered from $1. */
  where: string;
  parameters: unknown[];
}

/** One page of `list` as `toItem` shows its rows, and a count of the whole list, made when asked. */
export async function listPage<Row extends object, Item>(
  context: RequestContext,
  list: KeysetList,
  request: PageRequest,
  toItem: (row: Row) => Item,
): Promise<Listing<Item>> {
  const page = pageQuery(list.ordering, request, list.parameters.length + 1);
  const rows = await runPrepared<Row>(
    context.manager,
    `SELECT ${list.columns}, ${page.keyColumns} ${list.from}
      WHERE ${list.where}${page.condition} ORDER BY ${page.orderBy} LIMIT ${page.limit}`,
    [...list.parameters, ...page.parameters],
  );
  const found = page.finish(rows);
  return {
    ...found,
    items: found.items.map(toItem),
    totalCount: async () => {
      const [{ count }] = await runPrepared<{ count: number }>(
        context.manager,
        `SELECT count(*)::int AS count ${list.countFrom ?? list.from} WHERE ${list.where}`,
        list.parameters,
      );
      return count;
    },
  };
}

/** Select-list entries that give a row its key values (`page_key_0`, …) for `cursorOfRow`. */
export function keyColumnsOf(ordering: Ordering): string {
  return ordering.keys
    .map((key, index) => `${KEY_TYPES[key.type].write(key.expression)} AS page_key_${index}`)
    .join(', ');
}

/** The cursor of a row that was selected with `keyColumnsOf(ordering)`. */
export function cursorOfRow(ordering: Ordering, row: object): string {
  const values = ordering.keys.map((_, index) =>
    String((row as Record<string, unknown>)[`page_key_${index}`]),
  );
  return encodeCursor(ordering, values);
}

/** The key values a cursor of `ordering` names; BAD_USER_INPUT for any other cursor. */
export function cursorValues(ordering: Ordering, cursor: string): string[] {
  return decodeCursor(ordering, cursor);
}
