import { randomBytes } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import type { RequestContext } from '../context';
import { runPrepared } from '../db/prepared';
import { afterCommit } from '../db/transaction';
import {
  cursorValues,
  given,
  DEFAULT_PAGE_SIZE,
  OrderDirection,
  type Ordering,
  type PageRequest,
} from './pagination';
import { BackgroundWork } from './background-work';

/** The order of the download ranking: downloads, most first; ties newest first, then by id. */
export const RANKING: Ordering = {
  name: 'ranking',
  keys: [
    { expression: 's.pv', type: 'int', direction: OrderDirection.DESC },
    { expression: 's.created_at', type: 'timestamptz', direction: OrderDirection.DESC },
    { expression: 's.id', type: 'uuid', direction: OrderDirection.DESC },
  ],
};

/** A page of the ranking as Redis orders it: the shares' rows, in order. */
export interface RankedPage<Row> {
  rows: Row[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

/** The rows of the shares with these ids that exist; a missing id is a share that is gone. */
export type RankedRows<Row> = (ids: string[]) => Promise<Map<string, Row>>;

/** What places a share in the ranking; `created_us` is its creation time in µs, exactly as stored. */
export interface RankedShare {
  id: string;
  pv: number;
  created_us: string;
}

/** The columns of `shares` (or its alias) that make a RankedShare. */
export const rankedColumns = (table = 'shares') =>
  `${table}.id, ${table}.pv, (extract(epoch FROM ${table}.created_at) * 1000000)::bigint::text AS created_us`;

// Fixed key names: no user text ever reaches a Redis key (LEGACY-NOTES "Holes we do not repeat").
// `ranking:shares` replaced `ranking:downloads`, whose members ordered ties by id the other way.
const SORTED_SET = 'ranking:shares';
const BUILD_LOCK = 'ranking:shares:lock';
const PENDING = 'ranking:shares:pending';
const REMOVED = 'ranking:shares:removed';
/** The generation (ranking_generation in Postgres) the sorted set was built at. */
const GENERATION = 'ranking:shares:generation';
const buildKey = (token: string) => `ranking:shares:build:${token}`;
/**
 * Lives in every complete ranking with score -inf (so it sorts last): the set exists, even with no
 * shares, exactly when it is complete. A missing key therefore always means "rebuild".
 */
const COMPLETE = 'complete';
const BUILD_TTL_MS = 60_000;
const BUILD_CHUNK = 5000;

/** Writes a committed count: into the ranking if it exists, and into PENDING while one is built. */
const UPDATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('ZADD', KEYS[1], 'GT', ARGV[1], ARGV[2]) end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('ZADD', KEYS[3], 'GT', ARGV[1], ARGV[2]) end
return 1`;

/** Removes members; while a ranking is built, remembers them so the build drops them too. */
const REMOVE_SCRIPT = `
redis.call('ZREM', KEYS[1], unpack(ARGV))
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('ZREM', KEYS[3], unpack(ARGV))
  redis.call('SADD', KEYS[4], unpack(ARGV))
end
return 1`;

/** 2: a ranking exists already; 1: this token may build one; 0: someone else is building. */
const START_BUILD_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 2 end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('DEL', KEYS[3], KEYS[4])
  return 1
end
return 0`;

/** Adds a chunk to the build key while this token still holds the lock, and extends both. */
const BUILD_CHUNK_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 3, #ARGV, 2 do redis.call('ZADD', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`;

/**
 * Merges what changed during the build (higher counts win, removals win), then swaps the build in
 * with RENAME, with the generation it was built at: readers see the old state (none) or the complete
 * new one, never a partial set.
 */
const FINISH_BUILD_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then redis.call('DEL', KEYS[2]) return 0 end
redis.call('SET', KEYS[6], ARGV[2])
redis.call('ZUNIONSTORE', KEYS[2], 2, KEYS[2], KEYS[3], 'AGGREGATE', 'MAX')
local removed = redis.call('SMEMBERS', KEYS[4])
for i = 1, #removed, 1000 do
  redis.call('ZREM', KEYS[2], unpack(removed, i, math.min(i + 999, #removed)))
end
redis.call('RENAME', KEYS[2], KEYS[5])
redis.call('PERSIST', KEYS[5])
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4])
return 1`;

/**
 * Redis orders equal scores by member, bytewise, and ZREVRANGE reverses that. A member of
 * `<created µs, zero-padded>:<share id>` therefore lists equal counts newest first, then by id
 * descending (a uuid's text orders as Postgres orders the uuid): exactly RANKING.
 */
const memberOf = (share: Pick<RankedShare, 'id' | 'created_us'>) =>
  `${share.created_us.padStart(17, '0')}:${share.id}`;
const shareIdOf = (member: string) => member.slice(member.indexOf(':') + 1);

/**
 * How long a process goes by the generation it last read. A set that stopped being trusted is also
 * dropped from Redis at once; this bounds how long a process could still take a copy made before
 * that for current, and saves every ranking read a round trip to Postgres.
 */
const GENERATION_TTL_MS = 1_000;

/**
 * The download ranking of public shares. Postgres holds the counts; with Redis the order is also kept
 * in a sorted set, written after each commit with the committed count (ZADD GT, so late or repeated
 * writes converge) and rebuilt from Postgres whenever it is missing. Without Redis, or when Redis
 * fails, the same page comes from Postgres' ranking index.
 *
 * The set is trusted only at the generation Postgres holds in `ranking_generation`: a write that
 * fails, or a lost connection (Redis may come back from older saved data), moves the generation on,
 * so the set is rebuilt before it is read again, whatever became of Redis meanwhile.
 */
export class RankingService {
  /** Writes to Redis: requests that commit a count do not wait for them. */
  private readonly writes = new BackgroundWork();
  private knownGeneration: { value: Promise<string>; readAt: number } | null = null;

  constructor(private readonly redis: Redis | null) {}

  /**
   * A page of the ranking from Redis, with each share's row as `load` finds it: the first page, or the
   * page after a cursor whose share still stands where the cursor saw it. Null when Redis cannot
   * answer exactly (no Redis, a failure, a share that moved or went, or a page before a cursor):
   * Postgres' ranking index answers then.
   */
  async page<Row>(
    context: RequestContext,
    request: PageRequest,
    load: RankedRows<Row>,
  ): Promise<RankedPage<Row> | null> {
    if (!this.redis || given(request.last) || given(request.before)) return null;
    // A cursor that is not the ranking's is the client's mistake, not a reason to ask Postgres.
    const after = !given(request.after) ? null : cursorValues(RANKING, request.after);
    try {
      return await this.pageFromRedis(context, this.redis, request.first ?? DEFAULT_PAGE_SIZE, after, load);
    } catch (error) {
      context.log.debug({ err: error }, 'ranking read from Redis failed; answering from Postgres');
      return null;
    }
  }

  /** How many shares the ranking holds. */
  async count(context: RequestContext): Promise<number> {
    if (this.redis) {
      try {
        const [card, built] = await this.readState<[number]>(this.redis, (multi) => multi.zcard(SORTED_SET));
        // The set exists only when complete, and then holds the COMPLETE member too.
        if (card > 0 && built === (await this.generation(context))) return card - 1;
      } catch (error) {
        context.log.debug({ err: error }, 'ranking count from Redis failed; counting in Postgres');
      }
    }
    const [{ count }] = await runPrepared<{ count: number }>(
      context.manager,
      `SELECT count(*)::int AS count FROM shares`,
      [],
    );
    return count;
  }

  /** Puts the committed count of a share in the ranking once the transaction commits. */
  async scheduleUpdate(context: RequestContext, share: RankedShare): Promise<void> {
    const redis = this.redis;
    if (!redis) return;
    await afterCommit(context, async (committed) =>
      this.write(committed, () =>
        redis.eval(UPDATE_SCRIPT, 3, SORTED_SET, BUILD_LOCK, PENDING, share.pv, memberOf(share)),
      ),
    );
  }

  /** Takes shares out of the ranking once their removal commits. */
  async scheduleRemoval(context: RequestContext, shares: RankedShare[]): Promise<void> {
    const redis = this.redis;
    if (!redis || shares.length === 0) return;
    await afterCommit(context, async (committed) =>
      this.write(committed, () =>
        redis.eval(REMOVE_SCRIPT, 4, SORTED_SET, BUILD_LOCK, PENDING, REMOVED, ...shares.map(memberOf)),
      ),
    );
  }

  /**
   * Marks the set in Redis as possibly behind Postgres: it is rebuilt before it is read again. For
   * when the connection to Redis comes back, and for a write that failed.
   */
  async distrust(context: RequestContext): Promise<void> {
    this.knownGeneration = null;
    await context.manager.query(`UPDATE ranking_generation SET generation = generation + 1`);
    await this.redis?.del(SORTED_SET).catch(() => undefined);
  }

  /** Resolves once every write to Redis started so far has finished. */
  settled(): Promise<void> {
    return this.writes.settled();
  }

  /**
   * Writes in the background. One that fails may leave the set behind Postgres, so the set stops
   * being trusted; the request that committed the count has succeeded all the same.
   */
  private write(context: RequestContext, work: () => Promise<unknown>): void {
    this.writes.start(async () => {
      try {
        await work();
      } catch (error) {
        context.log.debug({ err: error }, 'ranking update failed; the ranking will be rebuilt');
        await this.distrust(context).catch((failure: unknown) =>
          context.log.error({ err: failure }, 'could not mark the ranking for a rebuild'),
        );
      }
    });
  }

  /** The generation of a trustworthy set, as Postgres said at most GENERATION_TTL_MS ago. */
  private generation(context: RequestContext): Promise<string> {
    const known = this.knownGeneration;
    if (known && Date.now() - known.readAt < GENERATION_TTL_MS) return known.value;
    const value = runPrepared<{ generation: string }>(
      context.manager,
      `SELECT generation::text AS generation FROM ranking_generation`,
      [],
    ).then(([row]) => row.generation);
    this.knownGeneration = { value, readAt: Date.now() };
    value.catch(() => (this.knownGeneration = null));
    return value;
  }

  /** Null when Redis cannot answer this page exactly (see `page`). */
  private async pageFromRedis<Row>(
    context: RequestContext,
    redis: Redis,
    size: number,
    after: string[] | null,
    load: RankedRows<Row>,
  ): Promise<RankedPage<Row> | null> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const start = after === null ? 0 : await this.rankAfter(redis, after);
      if (start === null) return null;
      // One more than asked for tells whether another page follows.
      const [card, members, built] = await this.readState<[number, string[]]>(redis, (multi) =>
        multi.zcard(SORTED_SET).zrevrange(SORTED_SET, start, start + size),
      );
      if (card === 0) {
        if (!(await this.rebuild(context, redis))) return null;
        continue;
      }
      if (built !== (await this.generation(context))) {
        await redis.del(SORTED_SET);
        continue;
      }
      const ranked = members.filter((member) => member !== COMPLETE);
      const rows = await load(ranked.map(shareIdOf));
      // A removal that overtook a late count can leave a share that no longer exists: drop it.
      const stale = ranked.filter((member) => !rows.has(shareIdOf(member)));
      if (stale.length) {
        await redis.zrem(SORTED_SET, ...stale);
        continue;
      }
      const ids = ranked.map(shareIdOf);
      return {
        rows: ids.slice(0, size).map((id) => rows.get(id)!),
        hasNextPage: ids.length > size,
        hasPreviousPage: after !== null,
      };
    }
    return null;
  }

  /**
   * The rank right after a cursor's share, when the share is where the cursor saw it: in the set,
   * with the count the cursor names. Null otherwise. A cursor carries the share's creation time in
   * microseconds, which is what its member is made of.
   */
  private async rankAfter(redis: Redis, [pv, createdUs, id]: string[]): Promise<number | null> {
    const member = memberOf({ id, created_us: createdUs });
    const results = await redis.multi().zrevrank(SORTED_SET, member).zscore(SORTED_SET, member).exec();
    if (!results) throw new Error('ranking read was aborted');
    for (const [error] of results) if (error) throw error;
    const [rank, score] = [results[0][1] as number | null, results[1][1] as string | null];
    return rank !== null && score === pv ? rank + 1 : null;
  }

  /**
   * What `read` adds to a MULTI, with the generation the set was built at, read in the same MULTI so
   * that both describe one set.
   */
  private async readState<Results extends unknown[]>(
    redis: Redis,
    read: (multi: ChainableCommander) => ChainableCommander,
  ): Promise<[...Results, string | null]> {
    const results = await read(redis.multi()).get(GENERATION).exec();
    if (!results) throw new Error('ranking read was aborted');
    for (const [error] of results) if (error) throw error;
    return results.map(([, value]) => value) as [...Results, string | null];
  }

  /**
   * Builds the ranking from Postgres under a key of its own and swaps it in. True when a ranking now
   * exists; false when another process holds the build lock (the caller answers from Postgres).
   */
  private async rebuild(context: RequestContext, redis: Redis): Promise<boolean> {
    const token = randomBytes(16).toString('hex');
    const build = buildKey(token);
    const started = await redis.eval(
      START_BUILD_SCRIPT,
      4,
      SORTED_SET,
      BUILD_LOCK,
      PENDING,
      REMOVED,
      token,
      BUILD_TTL_MS,
    );
    if (started === 2) return true;
    if (started !== 1) return false;
    // Read before any share is: a change that fails meanwhile moves it on, and this build is then
    // not trusted.
    const generation = await this.generation(context);
    // Every count committed after the lock was taken also lands in PENDING, so reading the table in
    // chunks (not one snapshot) loses nothing.
    await redis.eval(BUILD_CHUNK_SCRIPT, 2, BUILD_LOCK, build, token, BUILD_TTL_MS, '-inf', COMPLETE);
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await runPrepared<RankedShare>(
        context.manager,
        `SELECT ${rankedColumns()} FROM shares WHERE id > $1 ORDER BY id LIMIT $2`,
        [after, BUILD_CHUNK],
      );
      if (rows.length === 0) break;
      const scored = rows.flatMap((row) => [String(row.pv), memberOf(row)]);
      const kept = await redis.eval(BUILD_CHUNK_SCRIPT, 2, BUILD_LOCK, build, token, BUILD_TTL_MS, ...scored);
      if (kept !== 1) return false;
      after = rows[rows.length - 1].id;
    }
    const finished = await redis.eval(
      FINISH_BUILD_SCRIPT,
      6,
      BUILD_LOCK,
      build,
      PENDING,
      REMOVED,
      SORTED_SET,
      GENERATION,
      token,
      generation,
    );
    return finished === 1;
  }
}
