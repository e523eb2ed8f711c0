import { Redis } from 'ioredis';
import type { Logger } from '../logger';

/**
 * How long a command may take. Redis holds only what Postgres can rebuild or answer (caches, the
 * ranking's order, rate-limit counts), so a request does better without an answer than waiting:
 * past this, callers fall back.
 */
const COMMAND_TIMEOUT_MS = 500;

/**
 * Connects to Redis and waits until it answers, so a wrong REDIS_URL stops the start instead of
 * failing later. Every key gets `prefix`, a fixed string that never contains user text.
 *
 * Once up, an outage must cost requests nothing but the cache: commands fail at once while the
 * connection is down (no queue of commands waiting for it, no retries), and within
 * COMMAND_TIMEOUT_MS when Redis is slow. The outage and the recovery are logged once each, not once
 * per failing command.
 */
export async function connectRedis(url: string, prefix: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    keyPrefix: prefix,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new Error(`Redis at ${new URL(url).host} is not reachable: ${(error as Error).message}`, {
      cause: error,
    });
  }
  logOutages(redis, logger);
  return redis;
}

/** Logs the first error of an outage, and the recovery; whatever fails meanwhile stays quiet. */
export function logOutages(redis: Redis, logger: Logger, name = 'Redis'): void {
  let down = false;
  const fail = (error?: Error) => {
    if (down) return;
    down = true;
    logger.error(
      { err: error },
      `${name} is unreachable: sessions, limits and the ranking fall back to Postgres and this process`,
    );
  };
  redis.on('error', fail);
  redis.on('close', () => fail());
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info(`${name} is reachable again`);
  });
}

/**
 * Calls `handler` each time the connection comes back after it was lost. Whatever Redis held may
 * then be older than what happened meanwhile: Redis may have restarted from saved data, and writes
 * made while it was away were lost.
 */
export function onReconnect(redis: Redis, handler: () => void): void {
  let lost = false;
  redis.on('close', () => (lost = true));
  redis.on('ready', () => {
    if (!lost) return;
    lost = false;
    handler();
  });
}
