import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { NearCache } from '../../src/cache/near.cache';
import { createLogger } from '../../src/logger';
import { testEnvironment } from '../helpers/environment';
import { eventually } from '../helpers/wait';

/** Two processes' caches, as two workers or instances have them: one Redis, one key prefix. */
describe('NearCache', () => {
  const prefix = `picvault-test-near:${randomBytes(4).toString('hex')}:`;
  const logger = createLogger('silent');
  let redisA: Redis;
  let redisB: Redis;
  let a: NearCache;
  let b: NearCache;

  beforeAll(async () => {
    redisA = new Redis(testEnvironment.redisUrl, { keyPrefix: prefix });
    redisB = new Redis(testEnvironment.redisUrl, { keyPrefix: prefix });
    [a, b] = await Promise.all([NearCache.connect(redisA, logger), NearCache.connect(redisB, logger)]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    // KEYS answers whole names, which a client without the prefix deletes as they are.
    const keys = await redisA.keys(`${prefix}*`);
    const admin = new Redis(testEnvironment.redisUrl);
    if (keys.length) await admin.del(...keys);
    admin.disconnect();
    redisA.disconnect();
    redisB.disconnect();
  });

  it('answers from its own memory once it has read a value, without asking Redis again', async () => {
    await a.set('kept', 'one', 60);
    expect(await b.get('kept')).toBe('one');
    // Changed in Redis behind both caches' backs: B keeps answering with what it read.
    await redisA.set('cache:kept', 'two');
    expect(await b.get('kept')).toBe('one');
  });

  it('forgets a deleted key in every process at once', async () => {
    await a.set('session', 'valid', 60);
    expect(await b.get('session')).toBe('valid');
    await a.delete('session');
    expect(await a.get('session')).toBeNull();
    await eventually(async () => expect(await b.get('session')).toBeNull(), 2000);
    expect(await redisA.exists('cache:session')).toBe(0);
  });

  it('does not keep misses: a value set later elsewhere is seen at once', async () => {
    expect(await b.get('later')).toBeNull();
    await a.set('later', 'now', 60);
    expect(await b.get('later')).toBe('now');
  });
});
