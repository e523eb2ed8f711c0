import { Redis } from 'ioredis';
import type { Logger } from '../logger';

/**
 * Connects to Redis and waits until it answers, so a wrong REDIS_URL stops the start instead of
 * failing later. Every key gets `prefix`, a fixed string that never contains user text.
 */
export async function connectRedis(url: string, prefix: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    keyPrefix: prefix,
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
  });
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis error'));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new Error(`Redis at ${new URL(url).host} is not reachable: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return redis;
}
