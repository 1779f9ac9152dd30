/**
 * The contract every Store must keep, as a suite to run against any Store implementation: the built-in
 * ones (test/memory-store.test.ts, test/integration/memcached-store.test.ts), a wrapper, a new transport,
 * or your own store. It lives here, not in src/store/, to keep vitest out of the package. To check a store,
 * call it at the top level of a vitest file:
 *
 *   describeStoreContract('MyStore', async () => new MyStore(...), async () => stopMyBackend());
 *
 * `open` returns a store for the suite (the suite closes it after its tests); the optional `close` then
 * tears down whatever `open` started. Keys are unique per run, so a shared backend needs no flush. One
 * test waits about 2 s for items to expire (TTLs are whole seconds).
 *
 * A store over a pool of nodes (a `NodePool`, or a wrapper around one, with `nodePool` set) also runs
 * `describeNodePoolContract`: what safe mode relies on. A wrapper passes it only if it forwards each
 * call's options to the pool and exposes the pool as its `nodePool`.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { NodePool, PoolRouting, RouteEvent } from '../../src/store/node-pool.js';
import type { Store } from '../../src/store/store.js';
import { sleep } from './deferred.js';

export function describeStoreContract(
  name: string,
  open: () => Promise<Store>,
  close?: () => Promise<void>,
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let n = 0;
    const key = () => `contract:${process.pid}:${Date.now()}:${n++}`;

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store.close();
      await close?.();
    });

    it('gets what was set, byte for byte, and null for absent keys', async () => {
      const k = key();
      const bytes = Buffer.from([0, 1, 2, 255, 10, 13]);
      expect(await store.get(k)).toBeNull();
      await store.set(k, bytes, 60);
      expect(await store.get(k)).toEqual(bytes);
    });

    it('adds only when absent, and exactly one of many concurrent adds wins', async () => {
      const k = key();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.add(k, Buffer.from(`t${i}`), 60)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await store.get(k))?.toString()).toBe(`t${winner}`);
    });

    it('deletes, saying whether the key existed', async () => {
      const k = key();
      await store.set(k, Buffer.from('v'), 60);
      expect(await store.delete(k)).toBe(true);
      expect(await store.delete(k)).toBe(false);
      expect(await store.get(k)).toBeNull();
    });

    it('expires items after their TTL (whole seconds), and touch extends them', async () => {
      const [a, b] = [key(), key()];
      await store.set(a, Buffer.from('a'), 1);
      await store.set(b, Buffer.from('b'), 1);
      expect(await store.touch(b, 5)).toBe(true);
      expect(await store.touch(key(), 5)).toBe(false);
      await sleep(2100);
      expect(await store.get(a)).toBeNull();
      expect((await store.get(b))?.toString()).toBe('b');
    });

    it('keeps items with a TTL of 0, and reads a TTL over 30 days as a duration', async () => {
      const [a, b] = [key(), key()];
      await store.set(a, Buffer.from('forever'), 0);
      await store.set(b, Buffer.from('long'), 40 * 24 * 3600);
      expect((await store.get(a))?.toString()).toBe('forever');
      expect((await store.get(b))?.toString()).toBe('long');
    });

    it('compare-and-swap: add, store and delete only while the CAS read still holds', async () => {
      const k = key();
      expect(await store.getWithCas(k)).toBeNull();
      const added = await store.addWithCas(k, Buffer.from('first'), 60);
      expect(typeof added).toBe('bigint');
      expect(await store.addWithCas(k, Buffer.from('other'), 60)).toBeNull();
      const read = await store.getWithCas(k);
      expect(read?.value.toString()).toBe('first');
      expect(read?.cas).toBe(added);
      const renewed = await store.setIfCas(k, Buffer.from('second'), 60, added as bigint);
      expect(typeof renewed).toBe('bigint');
      expect(renewed).not.toBe(added);
      expect((await store.get(k))?.toString()).toBe('second');
      expect(await store.setIfCas(k, Buffer.from('stale'), 60, added as bigint)).toBe('changed');
      expect(await store.deleteIfCas(k, added as bigint)).toBe('changed');
      expect((await store.get(k))?.toString()).toBe('second');
      expect(await store.deleteIfCas(k, renewed as bigint)).toBe('deleted');
      expect(await store.deleteIfCas(k, renewed as bigint)).toBe('missing');
      expect(await store.setIfCas(k, Buffer.from('gone'), 60, renewed as bigint)).toBe('missing');
      expect(await store.get(k)).toBeNull();
    });

    it('compare-and-swap: a plain write changes the CAS, and one of many racing swaps wins', async () => {
      const k = key();
      await store.set(k, Buffer.from('v0'), 60);
      const before = (await store.getWithCas(k))?.cas as bigint;
      await store.set(k, Buffer.from('v1'), 60);
      expect(await store.setIfCas(k, Buffer.from('lost'), 60, before)).toBe('changed');
      const current = (await store.getWithCas(k))?.cas as bigint;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.setIfCas(k, Buffer.from(`s${i}`), 60, current)),
      );
      const winners = results.filter((r) => typeof r === 'bigint');
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => r === 'changed')).toHaveLength(19);
      const winner = results.findIndex((r) => typeof r === 'bigint');
      expect(await store.getWithCas(k)).toEqual({ value: Buffer.from(`s${winner}`), cas: winners[0] });
    });

    it('compare-and-swap: writes keep their TTL, and CAS calls accept a route', async () => {
      const [a, b] = [key(), key()];
      const cas = (await store.addWithCas(a, Buffer.from('a'), 1, { route: 'other' })) as bigint;
      await store.set(b, Buffer.from('b'), 60);
      const bCas = (await store.getWithCas(b, { route: b }))?.cas as bigint;
      expect(typeof (await store.setIfCas(b, Buffer.from('b2'), 1, bCas, { route: b }))).toBe('bigint');
      expect((await store.getWithCas(a, { route: 'other' }))?.cas).toBe(cas);
      await sleep(2100);
      expect(await store.getWithCas(a, { route: 'other' })).toBeNull();
      expect(await store.get(b)).toBeNull();
      expect(await store.deleteIfCas(a, cas, { route: 'other' })).toBe('missing');
    });

    it('accepts a route and answers the same with it', async () => {
      const k = key();
      await store.set(k, Buffer.from('routed'), 60, { route: 'other' });
      expect((await store.get(k, { route: 'other' }))?.toString()).toBe('routed');
      expect(await store.add(k, Buffer.from('x'), 60, { route: 'other' })).toBe(false);
      expect(await store.delete(k, { route: 'other' })).toBe(true);
    });
  });
}

/** What safe mode needs from a store over a pool of two nodes or more (see the file header). */
export function describeNodePoolContract(
  name: string,
  open: () => Promise<Store>,
  close?: () => Promise<void>,
): void {
  describe(`Node-pool contract: ${name}`, () => {
    let store: Store;
    let pool: NodePool;
    let n = 0;
    const key = () => `pool-contract:${process.pid}:${Date.now()}:${n++}`;
    const routing = (place: PoolRouting['place']): PoolRouting => ({ pool, place });

    beforeAll(async () => {
      store = await open();
      expect(store.nodePool).toBeDefined();
      pool = store.nodePool as NodePool;
    });
    afterAll(async () => {
      await store.close();
      await close?.();
    });

    it('ranks every node for a key, owner first, the same way every time', () => {
      const k = key();
      const rank = pool.rank(k);
      expect([...rank].sort((a, b) => a - b)).toEqual(pool.nodes.map((_, i) => i));
      expect(rank[0]).toBe(pool.ownerIndex(k));
      expect(pool.rank(k)).toEqual(rank);
      expect(pool.home(0)).toBe(pool.home(0)); // built once: routing allocates nothing
    });

    it('reports the outcome of each call on the node that served it, until unsubscribed', async () => {
      const k = key();
      const seen: Array<[number, string]> = [];
      const unsubscribe = pool.observeOutcomes((index, outcome) => seen.push([index, outcome]));
      await store.get(k);
      unsubscribe();
      await store.get(k);
      expect(seen).toEqual([[pool.ownerIndex(k), 'ok']]);
    });

    it('probes each node for its identity (pid, uptime)', async () => {
      for (const node of pool.nodes) {
        const identity = await node.probe(1000);
        expect(identity.pid).toBeGreaterThan(0);
        expect(identity.uptime).toBeGreaterThanOrEqual(0);
      }
    });

    it('fails a call its routing places nowhere with NodeDownError, and ignores another pool’s routing', async () => {
      const k = key();
      const nowhere = routing(() => null);
      await expect(store.get(k, { routing: nowhere })).rejects.toMatchObject({ code: 'E_NODE_DOWN' });
      await expect(store.set(k, Buffer.from('v'), 60, { routing: nowhere })).rejects.toMatchObject({
        code: 'E_NODE_DOWN',
      });
      const foreign: PoolRouting = { pool: { ...pool, nodes: [] }, place: () => null };
      expect(await store.get(k, { routing: foreign })).toBeNull();
    });

    it('writes where the routing places a key, with its TTL capped by the placement', async () => {
      const [k, lock] = [key(), key()];
      const last = pool.rank(k).at(-1) as number;
      const away = routing(() => ({ node: pool.nodes[last] as NodePool['nodes'][number], maxTtl: 1 }));
      await store.set(k, Buffer.from('away'), 60, { routing: away });
      await store.set(lock, Buffer.from('lock'), 0, { route: k, routing: away }); // 0: no expiry, capped too
      expect((await store.get(k, { routing: away }))?.toString()).toBe('away');
      if (pool.nodes.length > 1) expect(await store.get(k)).toBeNull(); // not on its owner
      await sleep(2100);
      expect(await store.get(k, { routing: away })).toBeNull();
      expect(await store.get(lock, { route: k, routing: away })).toBeNull();
    });

    it('carries out a route: copies written together, the next node read on a miss and copied home', async () => {
      expect(pool.nodes.length).toBeGreaterThan(1); // the contract runs over pools of several nodes
      const [k, other] = [key(), key()];
      const [first, second] = pool.rank(k) as [number, number];
      const capped = { node: pool.nodes[second] as NodePool['nodes'][number], maxTtl: 60 };
      const copied: RouteEvent[] = [];
      const replicated: PoolRouting = {
        pool,
        place: () => null,
        route: () => ({ primary: pool.home(first), copies: [pool.home(second)], next: capped }),
        report: (event) => copied.push(event),
      };
      await store.set(k, Buffer.from('both'), 60, { routing: replicated });
      for (const i of [first, second]) expect((await pool.nodes[i]?.get(k))?.toString()).toBe('both');
      await pool.nodes[first]?.delete(k);
      expect((await store.get(k, { routing: replicated }))?.toString()).toBe('both'); // read next
      await vi.waitFor(async () => expect((await pool.nodes[first]?.get(k))?.toString()).toBe('both'));
      expect(copied).toEqual([expect.objectContaining({ kind: 'warm-copied', key: k })]);
      // A key routed with another is added on every node of its route, or on none.
      await pool.nodes[second]?.set(other, Buffer.from('held'), 60);
      expect(await store.add(other, Buffer.from('mine'), 60, { route: k, routing: replicated })).toBe(false);
      expect(await pool.nodes[first]?.get(other)).toBeNull(); // given back
      await pool.nodes[second]?.delete(other);
      expect(await store.add(other, Buffer.from('mine'), 60, { route: k, routing: replicated })).toBe(true);
      for (const i of [first, second]) expect((await pool.nodes[i]?.get(other))?.toString()).toBe('mine');
    });

    it('decides compare-and-swap on a route’s primary; an entry’s copies follow, a lock wins everywhere or nowhere', async () => {
      expect(pool.nodes.length).toBeGreaterThan(1);
      const [k, lock] = [key(), key()];
      const [first, second] = pool.rank(k) as [number, number];
      const replicated: PoolRouting = {
        pool,
        place: () => null,
        route: () => ({ primary: pool.home(first), copies: [pool.home(second)], next: undefined }),
      };
      const on = async (i: number, at: string) => (await pool.nodes[i]?.get(at))?.toString();
      const token = await store.addWithCas(k, Buffer.from('a'), 60, { routing: replicated });
      expect(typeof token).toBe('bigint');
      expect([await on(first, k), await on(second, k)]).toEqual(['a', 'a']);
      const changed = await store.setIfCas(k, Buffer.from('b'), 60, token as bigint, { routing: replicated });
      expect(typeof changed).toBe('bigint');
      expect([await on(first, k), await on(second, k)]).toEqual(['b', 'b']);
      expect(await store.setIfCas(k, Buffer.from('c'), 60, token as bigint, { routing: replicated })).toBe(
        'changed',
      );
      expect(await store.deleteIfCas(k, changed as bigint, { routing: replicated })).toBe('deleted');
      expect([await on(first, k), await on(second, k)]).toEqual([undefined, undefined]);
      await pool.nodes[second]?.set(lock, Buffer.from('theirs'), 60);
      expect(
        await store.addWithCas(lock, Buffer.from('mine'), 60, { route: k, routing: replicated }),
      ).toBeNull();
      expect(await on(first, lock)).toBeUndefined(); // given back by its CAS
    });
  });
}
