import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  MemoryAttemptCounter,
  RedisAttemptCounter,
  type AttemptCounter,
} from '../../src/cache/attempt-counter';
import { testEnvironment } from '../helpers/environment';

const prefix = `picvault-test-${randomBytes(4).toString('hex')}:`;
const redis = new Redis(testEnvironment.redisUrl, { keyPrefix: prefix, lazyConnect: true });

afterAll(async () => {
  // ioredis prefixes the KEYS pattern but answers whole keys, which DEL would prefix again.
  const keys = await redis.keys('*');
  if (keys.length) await redis.del(...keys.map((key) => key.slice(prefix.length)));
  redis.disconnect();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each([
  ['Redis', (): AttemptCounter => new RedisAttemptCounter(redis)],
  ['process memory', (): AttemptCounter => new MemoryAttemptCounter(2)],
])('AttemptCounter in %s', (_label, makeCounter) => {
  it('counts per key within the window, forgets on reset, and starts again once the window ends', async () => {
    const counter = makeCounter();
    expect(await counter.count('a')).toBe(0);
    expect(await counter.add('a', 1)).toBe(1);
    expect(await counter.add('a', 1)).toBe(2);
    expect(await counter.add('b', 60)).toBe(1);
    expect(await counter.count('a')).toBe(2);

    await counter.reset('b');
    expect(await counter.count('b')).toBe(0);

    // The window opened with the first attempt: later ones do not extend it.
    await sleep(600);
    expect(await counter.add('a', 1)).toBe(3);
    await sleep(700);
    expect(await counter.count('a')).toBe(0);
    expect(await counter.add('a', 1)).toBe(1);
  });
});

describe('MemoryAttemptCounter', () => {
  it('holds at most maxKeys windows, dropping the oldest', async () => {
    const counter = new MemoryAttemptCounter(2);
    await counter.add('first', 60);
    await counter.add('second', 60);
    await counter.add('third', 60);
    expect(await counter.count('first')).toBe(0);
    expect(await counter.count('second')).toBe(1);
    expect(await counter.count('third')).toBe(1);
  });
});
