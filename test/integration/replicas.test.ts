/**
 * Replicas, warm returns and the way home, in one process against real memcached nodes (both protocols):
 * where each copy of a key lands, what a read finds when a replica dies or comes back empty, and that a
 * node that only hung cannot serve the values it held before an outage once its keys go home.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { type CacheEvents, createCache, InvalidOptionError } from '../../src/index.js';
import { lockKeyOf, toStoreKey } from '../../src/keys.js';
import { MemcachedStore } from '../../src/store/memjs/memcached-store.js';
import { deferred } from '../support/deferred.js';
import { type MemcachedProcess, startCluster, stopAllMemcached } from '../support/memcached.js';

afterAll(stopAllMemcached);

const NS = 'rp';
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** A raw pool over the same nodes: where the cache's copies are, node by node. */
function rawPool(nodes: MemcachedProcess[]) {
  const pool = new MemcachedStore({
    servers: nodes.map((n) => ({ address: n.address, weight: 1 })),
    opTimeoutMs: 500,
  });
  open.push(pool);
  return {
    pool,
    order: (key: string) => pool.rank(toStoreKey(NS, key)),
    /** Which nodes hold `storeKey` now (by index). */
    holders: async (storeKey: string) => {
      const found = await Promise.all(pool.nodes.map((n) => n.get(storeKey)));
      return found.flatMap((v, i) => (v === null ? [] : [i]));
    },
  };
}

function collect<K extends keyof CacheEvents>(cache: ReturnType<typeof createCache>, name: K) {
  const seen: Array<CacheEvents[K]> = [];
  cache.on(name, (e) => seen.push(e));
  return seen;
}

describe.each(['binary', 'meta'] as const)('replicas over protocol %s', (protocol) => {
  const cacheOn = (nodes: MemcachedProcess[], options: object = {}) => {
    const cache = createCache({
      servers: nodes.map((n) => n.address),
      protocol,
      namespace: NS,
      probeIntervalMs: 100,
      probeTimeoutMs: 100,
      opTimeoutMs: 500, // generous: a starved machine must not fail a set() the test makes
      ...options,
    });
    open.push(cache);
    return cache;
  };

  it('writes an entry to the first two nodes of its order and its lock to the first only', async () => {
    const nodes = await startCluster(3);
    // Probes that a starved machine cannot time out: a node wrongly marked hung would move the lock.
    const cache = cacheOn(nodes, { replicas: 2, probeTimeoutMs: 1000 });
    const raw = rawPool(nodes);
    const key = 'product:1';
    const storeKey = toStoreKey(NS, key);
    const [first, second] = raw.order(key);
    const gate = deferred();
    const loading = cache.wrap(key, () => gate.promise.then(() => 'v1'), { lock: true });
    await vi.waitFor(async () => expect(await raw.holders(lockKeyOf(storeKey))).toEqual([first]), {
      timeout: 5000,
    });
    gate.resolve();
    expect(await loading).toBe('v1');
    expect((await raw.holders(storeKey)).sort()).toEqual([first, second].sort());
    expect(await raw.holders(lockKeyOf(storeKey))).toEqual([]); // released where it was taken
  });

  it('serves every key without a load when one of its two replicas is SIGKILLed', async () => {
    const nodes = await startCluster(3);
    const cache = cacheOn(nodes, { replicas: 2 });
    const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((k) => cache.wrap(k, () => k)));
    await nodes[0]?.kill();
    let loads = 0;
    const load = (k: string) => () => {
      loads++;
      return k;
    };
    for (const k of keys) expect(await cache.wrap(k, load(k))).toBe(k);
    expect(loads).toBe(0);
  });

  it('finds the other copy when a replica restarted empty, and copies it home with add', async () => {
    const nodes = await startCluster(3);
    const cache = cacheOn(nodes, { replicas: 2 });
    const copied = collect(cache, 'warm:copied');
    const raw = rawPool(nodes);
    const keys = Array.from({ length: 30 }, (_, i) => `w${i}`);
    await Promise.all(keys.map((k) => cache.wrap(k, () => k)));
    await vi.waitFor(() => expect(cache.safeMode.nodes.every((n) => n.pid !== undefined)).toBe(true));
    await nodes[0]?.restart();
    await vi.waitFor(() => expect(cache.safeMode.nodes[0]?.pid).toBe(nodes[0]?.pid));
    let loads = 0;
    const load = (k: string) => () => {
      loads++;
      return k;
    };
    const homed = keys.filter((k) => raw.order(k)[0] === 0);
    expect(homed.length).toBeGreaterThan(0);
    // Read on through its way home (reads go to the other replica meanwhile) until its misses copy home.
    await vi.waitFor(
      async () => {
        for (const k of keys) expect(await cache.wrap(k, load(k))).toBe(k);
        expect(copied.length).toBeGreaterThanOrEqual(homed.length);
      },
      { timeout: 3000 },
    );
    expect(loads).toBe(0);
    for (const k of homed) expect(await raw.holders(toStoreKey(NS, k))).toContain(0);
    expect(cache.stats().warmCopies).toBe(copied.length);
  });

  it('a node that only hung comes back without the values it held: what was written away wins', async () => {
    const nodes = await startCluster(3);
    const cache = cacheOn(nodes, { failoverTtl: 30 });
    const home = collect(cache, 'node:home');
    const raw = rawPool(nodes);
    const keys = Array.from({ length: 60 }, (_, i) => `h${i}`).filter((k) => raw.order(k)[0] === 1);
    for (const k of keys) await cache.set(k, 'before');
    nodes[1]?.stop();
    await vi.waitFor(() => expect(cache.safeMode.nodes[1]?.state).toBe('down'), { timeout: 3000 });
    for (const k of keys) await cache.set(k, 'during');
    nodes[1]?.cont();
    await vi.waitFor(() => expect(cache.safeMode.nodes[1]?.state).toBe('up'), { timeout: 3000 });
    // From its return on, through the way home and after it: the outage's value, every time.
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      const seen = await Promise.all(keys.map((k) => cache.get(k)));
      expect(new Set(seen)).toEqual(new Set(['during']));
    }
    expect(home).toEqual([expect.objectContaining({ node: nodes[1]?.address, invalidated: keys.length })]);
    expect(cache.stats().returnInvalidations).toBe(keys.length);
    // Home has the outage's value (copied back by a warm read) or nothing: never the old one.
    for (const k of keys) {
      const atHome = await raw.pool.nodes[1]?.get(toStoreKey(NS, k));
      expect(atHome?.toString() ?? '').not.toContain('before');
    }
  });

  it('flushes a returning node whose keys written away overflowed maxAwayKeys', async () => {
    const nodes = await startCluster(3);
    const cache = cacheOn(nodes, { maxAwayKeys: 2 });
    const home = collect(cache, 'node:home');
    const raw = rawPool(nodes);
    const keys = Array.from({ length: 40 }, (_, i) => `o${i}`).filter((k) => raw.order(k)[0] === 1);
    for (const k of keys) await cache.set(k, 'before');
    nodes[1]?.stop();
    await vi.waitFor(() => expect(cache.safeMode.nodes[1]?.state).toBe('down'), { timeout: 3000 });
    for (const k of keys.slice(0, 5)) await cache.set(k, 'during');
    nodes[1]?.cont();
    await vi.waitFor(() => expect(home).toHaveLength(1), { timeout: 3000 });
    expect(await raw.holders(toStoreKey(NS, keys[6] as string))).not.toContain(1); // flushed
    for (const k of keys.slice(0, 5)) expect(await cache.get(k)).toBe('during');
  });

  it('reports a replica write that failed as an event, not as the caller’s error', async () => {
    const nodes = await startCluster(3);
    const cache = cacheOn(nodes, { replicas: 2, downAfter: 100 }); // the hung node stays "up"
    const failed = collect(cache, 'replica:error');
    const raw = rawPool(nodes);
    const key = Array.from({ length: 40 }, (_, i) => `f${i}`).find((k) => raw.order(k)[1] === 2) as string;
    nodes[2]?.stop();
    expect(await cache.set(key, 'v')).toBe(true);
    expect(failed).toEqual([
      expect.objectContaining({ key: toStoreKey(NS, key), node: nodes[2]?.address, operation: 'set' }),
    ]);
    expect(cache.stats().replicaErrors).toBe(1);
    nodes[2]?.cont();
  });
});

describe('replica options', () => {
  it('rejects replicas outside 1..3, and replicas without the monitor', () => {
    for (const replicas of [0, 4, 1.5, '2']) {
      expect(() => createCache({ servers: ['127.0.0.1:1'], replicas: replicas as 2 })).toThrow(
        expect.objectContaining({ name: 'InvalidOptionError', option: 'replicas' }),
      );
    }
    expect(() => createCache({ servers: ['127.0.0.1:1'], replicas: 2, safeMode: 'off' })).toThrow(
      InvalidOptionError,
    );
    expect(() => createCache({ servers: ['127.0.0.1:1'], warmReturnMs: -1 })).toThrow(/warmReturnMs/);
    expect(() => createCache({ servers: ['127.0.0.1:1'], maxAwayKeys: 0.5 })).toThrow(/maxAwayKeys/);
  });
});
