import { batcherPerRequest, RequestBatcher } from '../../src/services/request-batcher';

describe('RequestBatcher', () => {
  it('loads every key asked for in the same tick with one call, answering each its own value', async () => {
    const calls: string[][] = [];
    const batcher = new RequestBatcher<string, number>(async (keys) => {
      calls.push(keys);
      return new Map(keys.filter((key) => key !== 'missing').map((key) => [key, key.length]));
    }, -1);

    const answers = await Promise.all(['a', 'bb', 'a', 'missing', 'ccc'].map((key) => batcher.load(key)));

    expect(answers).toEqual([1, 2, 1, -1, 3]);
    expect(calls).toEqual([['a', 'bb', 'missing', 'ccc']]);
  });

  it('asks again for keys loaded later, so nothing stale is cached', async () => {
    let value = 1;
    const batcher = new RequestBatcher<string, number>(
      async (keys) => new Map(keys.map((key) => [key, value])),
      0,
    );
    expect(await batcher.load('k')).toBe(1);
    value = 2;
    expect(await batcher.load('k')).toBe(2);
  });

  it('fails every waiter of a batch whose load fails', async () => {
    const batcher = new RequestBatcher<string, number>(async () => {
      throw new Error('database down');
    }, 0);
    await expect(Promise.all([batcher.load('a'), batcher.load('b')])).rejects.toThrow('database down');
  });

  it('keeps one batcher per request', () => {
    const forRequest = batcherPerRequest(
      (_context: object) => new RequestBatcher<string, number>(async () => new Map(), 0),
    );
    const first = {};
    expect(forRequest(first)).toBe(forRequest(first));
    expect(forRequest({})).not.toBe(forRequest(first));
  });
});
