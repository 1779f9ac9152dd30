/**
 * Who routes and who closes: safe mode routes each cache's calls without changing the pool they share,
 * and a cache closes only the stores it created (its pool from `servers`, its gutter pool), never a
 * `store` passed in. The memcached cases on both protocols.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createCache, MemoryStore } from '../../src/index.js';
import { MemcachedStore } from '../../src/store/memjs/memcached-store.js';
import { MetaStore } from '../../src/store/meta/meta-store.js';
import { type MemcachedProcess, startCluster, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS, poolOn } from '../support/protocols.js';

afterAll(stopAllMemcached);
afterEach(() => {
  vi.restoreAllMocks();
});

describe.each(PROTOCOLS)('two caches sharing one memcached pool on %s', (protocol) => {
  const pool = (nodes: MemcachedProcess[]) => poolOn(protocol, nodes);

  it('route with their own failover settings: neither overwrites the other’s', async () => {
    const nodes = await startCluster(2);
    const shared = pool(nodes);
    const options = { store: shared, probeIntervalMs: 100 } as const;
    const none = createCache({ ...options, failover: 'none' });
    const rehash = createCache({ ...options, failover: 'rehash' }); // created last
    const key = Array.from({ length: 50 }, (_, i) => `k${i}`).find(
      (k) => shared.ownerIndex(k) === 0,
    ) as string;
    try {
      await nodes[0]?.kill();
      const down = (cache: typeof none) => cache.safeMode.nodes[0]?.state === 'down';
      await vi.waitFor(() => expect(down(none) && down(rehash)).toBe(true), { timeout: 3000 });
      // 'none': the dead node's key goes nowhere, without a network call.
      await expect(none.set(key, 'v')).rejects.toMatchObject({ code: 'E_NODE_DOWN' });
      // 'rehash': the same key goes to the survivor.
      expect(await rehash.set(key, 'v')).toBe(true);
      const survivor = pool([nodes[1] as MemcachedProcess]);
      expect(await survivor.get(key)).not.toBeNull();
      await survivor.close();
    } finally {
      await Promise.all([none.close(), rehash.close()]);
      await shared.close();
      await Promise.all(nodes.map((n) => n.close()));
    }
  });
});

describe('close()', () => {
  it('leaves a store passed in open: a MemoryStore shared by two caches keeps serving the other', async () => {
    const store = new MemoryStore();
    const a = createCache({ store });
    const b = createCache({ store });
    await a.set('k', 'v');
    await a.close();
    expect(await b.get('k')).toBe('v');
    await b.close();
    expect(store.size).toBe(1);
  });
});

describe.each(PROTOCOLS)('close() on %s', (protocol) => {
  it('leaves a memcached pool passed in open, and closes the pool and the gutter it created', async () => {
    const [main, gutter] = await startCluster(2);
    const passedIn = poolOn(protocol, [main as MemcachedProcess]);
    const closes = vi.spyOn((protocol === 'meta' ? MetaStore : MemcachedStore).prototype, 'close');
    const user = createCache({ store: passedIn });
    await user.set('k', 'v');
    await user.close();
    expect(closes).not.toHaveBeenCalled();
    expect((await passedIn.get('k'))?.length).toBeGreaterThan(0); // still connected
    const own = createCache({
      protocol,
      servers: [(main as MemcachedProcess).address],
      failover: 'gutter',
      gutterServers: [(gutter as MemcachedProcess).address],
    });
    await own.close();
    expect(closes).toHaveBeenCalledTimes(2); // its pool and its gutter
    await passedIn.close();
  });
});
