/**
 * TTLs against memcached's own clock, which ticks once a second: an item set with a TTL of n seconds
 * expires at the n-th tick, so it can live anything from n-1 to n seconds. The cache must still keep a
 * value for its whole TTL and a live holder's lock for its whole lockTtl.
 */
import { describe, expect, it, vi } from 'vitest';
import { createCache } from '../../src/index.js';
import { sleep } from '../support/deferred.js';
import { useMemcachedNode } from '../support/memcached.js';

const memcached = useMemcachedNode();

let probes = 0;
/** Resolves just before memcached's clock ticks (about `beforeMs` ahead of it). */
async function justBeforeTick(beforeMs: number): Promise<void> {
  const key = `tick-probe:${probes++}`;
  await memcached.raw.set(key, Buffer.from('x'), 1);
  while ((await memcached.raw.get(key)) !== null) await sleep(2); // gone: the clock just ticked
  await sleep(1000 - beforeMs);
}

const cacheOn = (options: object) =>
  createCache({
    servers: [memcached.node.address],
    namespace: 'exp',
    safeMode: 'always',
    pollMaxMs: 10,
    ...options,
  });

describe("memcached's one-second clock", () => {
  it('keeps a live holder’s lock (lockTtl 1) while another worker waits: one load', async () => {
    const [a, b] = [cacheOn({ lockTtl: 1 }), cacheOn({ lockTtl: 1 })];
    const loader = vi.fn(async () => {
      await sleep(400);
      return 'v';
    });
    await justBeforeTick(100);
    const first = a.wrap('locked', loader);
    await sleep(20);
    const second = b.wrap('locked', loader);
    expect(await Promise.all([first, second])).toEqual(['v', 'v']);
    expect(loader).toHaveBeenCalledTimes(1);
    await Promise.all([a.close(), b.close()]);
  });

  it('serves a value with ttl 1 as a hit for its whole second', async () => {
    const cache = cacheOn({ ttl: 1 });
    const loader = vi.fn(() => 'v');
    await justBeforeTick(100);
    await cache.wrap('short', loader);
    await sleep(300); // past memcached's tick, well within the 1 s TTL
    await cache.wrap('short', loader);
    expect(loader).toHaveBeenCalledTimes(1);
    await cache.close();
  });
});
