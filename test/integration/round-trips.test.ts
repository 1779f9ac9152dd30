/**
 * Round trips of a protected miss, counted on real memcached (the node's writes: calls issued in one tick
 * go out in one write and are answered together), not estimated. A miss that takes the lock:
 * 1: get (miss); 2: add the lock + re-read; loader; 3: store the value + release the lock. 0.1 took 5.
 * A tagged hit is 1 as well once this process kept its tags' states (the epoch read goes with the entry's),
 * whether the call names the tags or not (a middleware page).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache.js';
import type { Protocol } from '../../src/options.js';
import { MemcachedStore } from '../../src/store/memjs/memcached-store.js';
import { MetaStore } from '../../src/store/meta/meta-store.js';
import { startMemcached, stopAllMemcached } from '../support/memcached.js';

afterAll(stopAllMemcached);

/** A memcached node, a store on it whose node counts its socket writes, and a cache over that store. */
async function counted(protocol: Protocol, namespace: string) {
  const node = await startMemcached();
  const servers = [{ address: node.address, weight: 1 }];
  const store =
    protocol === 'meta'
      ? new MetaStore({ servers, opTimeoutMs: 2000 })
      : new MemcachedStore({ servers, opTimeoutMs: 2000 });
  const cache = createCache({ store, safeMode: 'off', namespace });
  const writes = () => (store.nodes[0] as { writes: number }).writes;
  return { node, store, cache, writes };
}

describe.each(['binary', 'meta'] as const satisfies readonly Protocol[])('round trips (%s)', (protocol) => {
  it('a miss that takes the lock costs 3 round trips, a hit 1, and the lock is gone after', async () => {
    const { node, store, cache, writes } = await counted(protocol, 'rt');
    try {
      await store.get('warm-up'); // connected: the count is the protocol's, not the connect's
      const perMiss: number[] = [];
      for (let i = 0; i < 5; i++) {
        const before = writes();
        expect(await cache.wrap(`k${i}`, async () => `v${i}`, { lock: true })).toBe(`v${i}`);
        perMiss.push(writes() - before);
      }
      expect(perMiss).toEqual([3, 3, 3, 3, 3]);
      const before = writes();
      expect(await cache.wrap('k0', async () => 'loaded again', { lock: true })).toBe('v0');
      expect(writes() - before).toBe(1);
      expect(await store.get('safe-rt:k0')).toBeNull();
    } finally {
      await cache.close();
      await store.close();
      await node.close();
    }
  });

  it('a tagged hit costs 1 round trip once tag states are kept, named by the call or not', async () => {
    const { node, store, cache, writes } = await counted(protocol, 'rt-tags');
    const roundTrips = async (read: () => Promise<unknown>) => {
      const before = writes();
      expect(await read()).toBe('v');
      return writes() - before;
    };
    try {
      await cache.wrap('page', () => 'v', { tags: ['a', 'b'] });
      const named = () => cache.wrap('page', () => 'loaded again', { tags: ['a', 'b'] });
      const unnamed = () => cache.get('page');
      // The load's read found no epoch and added one; the first hit sees it and keeps the tags it reads.
      expect(await roundTrips(named)).toBe(2);
      expect([await roundTrips(named), await roundTrips(unnamed), await roundTrips(named)]).toEqual([
        1, 1, 1,
      ]);
      await cache.invalidateTags(['a']);
      expect(await cache.answer('page', () => 'new', { tags: ['a', 'b'] })).toMatchObject({
        value: 'new',
        source: 'loaded',
      });
    } finally {
      await cache.close();
      await store.close();
      await node.close();
    }
  });
});
