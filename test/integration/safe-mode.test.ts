/**
 * Safe mode against real memcached nodes and real worker processes: a node killed under load, hung,
 * restarted empty, flapping; consistent hashing and failover TTLs on real nodes. Each on both protocols.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { type CacheEvents, createCache } from '../../src/index.js';
import { toStoreKey } from '../../src/keys.js';
import { concurrencyProbe, sleep } from '../support/deferred.js';
import { expectContained, killUnderLoad } from '../support/kill-under-load.js';
import {
  type MemcachedProcess,
  startCluster,
  startMemcached,
  stopAllMemcached,
} from '../support/memcached.js';
import { PROTOCOLS, poolOn } from '../support/protocols.js';
import { killAllWorkers } from '../support/workers.js';

afterEach(killAllWorkers);
afterAll(stopAllMemcached);

/** A raw pool to inspect the nodes with (memjs): either protocol routes a key to the same node. */
const pool = (nodes: MemcachedProcess[]) => poolOn('binary', nodes);

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('a node SIGKILLed under steady load (4 workers, 3 nodes, 300 keys)', () => {
    let autoLoads = 0;

    it("with safeMode 'auto': safe mode on in every worker at once, each lost key loaded at most twice, no errors", async () => {
      autoLoads = expectContained(await killUnderLoad({ probeIntervalMs: 500 }, { protocol }), 500);
    });

    it("with safeMode 'off' and failover 'none' the same kill is a stampede: far more loads", async () => {
      expect(autoLoads).toBeGreaterThan(0); // needs the auto run above
      const { reports, onVictim, loadsAfterKill } = await killUnderLoad(
        { safeMode: 'off', failover: 'none' },
        { protocol },
      );
      const offLoads = [...onVictim].reduce((sum, k) => sum + (loadsAfterKill.get(k) ?? 0), 0);
      for (const r of reports) expect(r.errors).toBe(0); // unprotected, but still never an error
      expect(offLoads).toBeGreaterThan(autoLoads * 5);
    });
  });

  describe('one process watching its nodes', () => {
    const collect = (cache: ReturnType<typeof createCache>) => {
      const events: Array<{ name: keyof CacheEvents; at: number; payload: unknown }> = [];
      for (const name of [
        'node:down',
        'node:up',
        'node:restarted',
        'safe-mode:on',
        'safe-mode:off',
      ] as const) {
        cache.on(name, (payload) => events.push({ name, at: Date.now(), payload }));
      }
      return events;
    };

    it('detects a hung (SIGSTOPped) node as down, and no call waits on it longer than the op timeout', async () => {
      const nodes = await startCluster(3);
      const cache = createCache({
        protocol,
        servers: nodes.map((n) => n.address),
        opTimeoutMs: 200,
        probeIntervalMs: 300,
        probeTimeoutMs: 200,
      });
      const events = collect(cache);
      const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
      await Promise.all(keys.map((k) => cache.wrap(k, () => k)));
      nodes[0]?.stop();
      const durations: number[] = [];
      const deadline = Date.now() + 1500;
      while (Date.now() < deadline) {
        await Promise.all(
          keys.map(async (k) => {
            const started = performance.now();
            expect(await cache.wrap(k, async () => k)).toBe(k);
            durations.push(performance.now() - started);
          }),
        );
      }
      expect(events.find((e) => e.name === 'node:down')?.payload).toEqual({
        node: nodes[0]?.address,
        reason: 'hung',
      });
      expect(cache.safeMode).toMatchObject({ active: true, setting: 'auto' });
      expect(cache.safeMode.nodes.find((n) => n.node === nodes[0]?.address)?.state).toBe('down');
      // Bounded by the op timeout (plus loader and scheduling), never by the hung node.
      expect(Math.max(...durations)).toBeLessThan(200 + 300);
      nodes[0]?.cont();
      await cache.close();
      await Promise.all(nodes.map((n) => n.close()));
    });

    it('detects a node restarted empty on the same port, turns safe mode on, and off after settleMs', async () => {
      const nodes = await startCluster(2);
      const cache = createCache({
        protocol,
        servers: nodes.map((n) => n.address),
        probeIntervalMs: 100,
        settleMs: 1000,
      });
      const events = collect(cache);
      await vi.waitFor(() => expect(cache.safeMode.nodes.every((n) => n.pid !== undefined)).toBe(true));
      await nodes[1]?.restart();
      await vi.waitFor(() => expect(events.map((e) => e.name)).toContain('safe-mode:off'), { timeout: 5000 });
      const restarted = events.find((e) => e.name === 'node:restarted');
      const on = events.find((e) => e.name === 'safe-mode:on');
      const off = events.find((e) => e.name === 'safe-mode:off');
      expect(restarted?.payload).toMatchObject({ node: nodes[1]?.address, pid: nodes[1]?.pid });
      expect(on).toBeDefined();
      expect((off?.at ?? 0) - (restarted?.at ?? 0)).toBeGreaterThanOrEqual(1000 - 50);
      expect(cache.safeMode.active).toBe(false);
      await cache.close();
      await Promise.all(nodes.map((n) => n.close()));
    });

    it('keeps safe mode on while a node flaps (down, up, down...) instead of toggling it', async () => {
      const nodes = await startCluster(2);
      const cache = createCache({
        protocol,
        servers: nodes.map((n) => n.address),
        probeIntervalMs: 150,
        settleMs: 1200,
      });
      const events = collect(cache);
      await vi.waitFor(() => expect(cache.safeMode.nodes.every((n) => n.pid !== undefined)).toBe(true));
      for (let i = 0; i < 4; i++) {
        await nodes[1]?.kill();
        await sleep(400);
        await nodes[1]?.restart();
        await sleep(400);
      }
      const during = events.map((e) => e.name);
      expect(during.filter((n) => n === 'safe-mode:on')).toHaveLength(1);
      expect(during).not.toContain('safe-mode:off');
      expect(during.filter((n) => n === 'node:down').length).toBeGreaterThanOrEqual(3);
      await vi.waitFor(() => expect(cache.safeMode.active).toBe(false), { timeout: 5000 });
      await cache.close();
      await Promise.all(nodes.map((n) => n.close()));
    });
  });

  describe('routing on real nodes', () => {
    it('moves only the dead node’s keys when one of 4 nodes dies (about a quarter)', async () => {
      const nodes = await startCluster(4);
      // Routing, not timing, is under test: generous timeouts, so that a starved CI machine does not make
      // healthy nodes look hung (a hung node's keys are not written, and would be reloaded after the kill).
      const cache = createCache({
        protocol,
        servers: nodes.map((n) => n.address),
        namespace: 'ch',
        opTimeoutMs: 2000,
        probeTimeoutMs: 2000,
      });
      const keys = Array.from({ length: 2000 }, (_, i) => `key:${i}`);
      await Promise.all(keys.map((k) => cache.wrap(k, () => k)));
      expect(cache.stats().storeErrors).toBe(0);
      await nodes[2]?.kill();
      const reloaded: string[] = [];
      for (const k of keys) {
        await cache.wrap(k, () => {
          reloaded.push(k);
          return k;
        });
      }
      const router = pool(nodes);
      const owned = keys.filter((k) => router.ownerIndex(toStoreKey('ch', k)) === 2);
      await router.close();
      expect(reloaded.sort()).toEqual(owned.sort());
      expect(reloaded.length / keys.length).toBeGreaterThan(0.18);
      expect(reloaded.length / keys.length).toBeLessThan(0.32);
      await cache.close();
      await Promise.all(nodes.map((n) => n.close()));
    });

    it('writes failover copies with at most failoverTtl, and sends keys home when the node returns', async () => {
      const nodes = await startCluster(2);
      const cache = createCache({
        protocol,
        servers: nodes.map((n) => n.address),
        failoverTtl: 1,
        lockTtl: 1, // failoverTtl must exceed half the lock TTL (the heartbeat renews locks every lockTtl / 2)
        probeIntervalMs: 100,
        ttl: 60,
      });
      const router = pool(nodes);
      const key = Array.from({ length: 50 }, (_, i) => `f${i}`).find(
        (k) => router.ownerIndex(k) === 0,
      ) as string;
      await nodes[0]?.kill();
      expect(await cache.wrap(key, () => 'on-failover')).toBe('on-failover');
      const survivor = pool([nodes[1] as MemcachedProcess]);
      expect(await survivor.get(key)).not.toBeNull();
      await sleep(2100);
      expect(await survivor.get(key)).toBeNull(); // expired within failoverTtl, though ttl is 60
      await nodes[0]?.restart();
      await vi.waitFor(() => expect(cache.safeMode.nodes[0]?.state).toBe('up'), { timeout: 3000 });
      expect(await cache.wrap(key, () => 'home')).toBe('home');
      const home = pool([nodes[0] as MemcachedProcess]);
      expect(await home.get(key)).not.toBeNull();
      await Promise.all([cache.close(), router.close(), survivor.close(), home.close()]);
      await Promise.all(nodes.map((n) => n.close()));
    });

    it('sends a returning node its keys at once when they were served nowhere else (every node was down)', async () => {
      const [n0, n1] = (await startCluster(2)) as [MemcachedProcess, MemcachedProcess];
      const router = pool([n0, n1]);
      const key = Array.from({ length: 50 }, (_, i) => `r${i}`).find(
        (k) => router.ownerIndex(k) === 1,
      ) as string;
      await router.close();
      // A watches its nodes closely; B (probes far apart, no call meanwhile) never learns of the outage.
      const a = createCache({ protocol, servers: [n0.address, n1.address], probeIntervalMs: 50 });
      const b = createCache({ protocol, servers: [n0.address, n1.address], probeIntervalMs: 600_000 });
      const homes: string[] = [];
      a.on('node:home', (e) => homes.push(e.node));
      await Promise.all([n0.kill(), n1.kill()]);
      await vi.waitFor(() => expect(a.safeMode.nodes.map((n) => n.state)).toEqual(['down', 'down']), {
        timeout: 3000,
      });
      // The nodes come back one after the other; A makes no call meanwhile, so neither had its keys elsewhere.
      await n0.restart();
      await vi.waitFor(() => expect(homes).toEqual([n0.address]), { timeout: 3000 });
      await n1.restart();
      await vi.waitFor(() => expect(a.safeMode.nodes[1]?.state).toBe('up'), { timeout: 3000 });
      // Within what would have been n1's holdoff (probe interval + call timeout): A reads n1's key at home,
      // where B stored it, and does not load it again (with a holdoff it read n0, which never held it).
      expect(await b.wrap(key, () => 'from b')).toBe('from b');
      expect(await a.wrap(key, () => 'from a')).toBe('from b');
      expect(a.stats().loads).toBe(0);
      expect(homes).toEqual([n0.address, n1.address]);
      await Promise.all([a.close(), b.close(), n0.close(), n1.close()]);
    });

    it("routes a down node's keys to the gutter pool with failover 'gutter'", async () => {
      const [a, b, gutter] = await startCluster(3);
      const nodes = [a, b] as MemcachedProcess[];
      const cache = createCache({
        protocol,
        servers: nodes.map((n) => n.address),
        failover: 'gutter',
        gutterServers: [(gutter as MemcachedProcess).address],
        probeIntervalMs: 100,
      });
      const router = pool(nodes);
      const key = Array.from({ length: 50 }, (_, i) => `g${i}`).find(
        (k) => router.ownerIndex(k) === 0,
      ) as string;
      await a?.kill();
      expect(await cache.wrap(key, () => 'in-gutter')).toBe('in-gutter');
      const gutterStore = pool([gutter as MemcachedProcess]);
      const survivor = pool([b as MemcachedProcess]);
      expect(await gutterStore.get(key)).not.toBeNull();
      expect(await survivor.get(key)).toBeNull();
      await Promise.all([cache.close(), router.close(), gutterStore.close(), survivor.close()]);
    });
  });

  describe('a single memcached node that dies', () => {
    it('answers every call from the loader, under the load cap', async () => {
      const node = await startMemcached();
      const cache = createCache({
        protocol,
        servers: [node.address],
        maxConcurrentLoads: 2,
      });
      await node.kill();
      const probe = concurrencyProbe();
      const loader = probe.loader;
      await cache.wrap('warm', loader(0)); // the first refused call marks the node down
      expect(cache.safeMode.active).toBe(true);
      const values = await Promise.all(Array.from({ length: 10 }, (_, i) => cache.wrap(`k${i}`, loader(i))));
      expect(values).toEqual(Array.from({ length: 10 }, (_, i) => i));
      expect(probe.peak()).toBeLessThanOrEqual(2);
      await cache.close();
    });

    it('locks again as soon as the restarted node answers a call, without waiting for a probe', async () => {
      const node = await startMemcached();
      // Probes far apart: only ordinary calls can tell the caches that the node is back.
      const options = {
        protocol,
        servers: [node.address],
        safeMode: 'always' as const,
        probeIntervalMs: 600_000,
      };
      const [a, b] = [createCache(options), createCache(options)];
      const ups: unknown[] = [];
      a.on('node:up', (e) => ups.push(e));
      await node.kill();
      await Promise.all([a.wrap('warm', () => 0), b.wrap('warm', () => 0)]); // refused: down in both
      expect(a.safeMode.nodes[0]?.state).toBe('down');
      await node.restart();
      await Promise.all([a.wrap('again', () => 1), b.wrap('again', () => 1)]); // tried anyway: up again
      expect(ups).toHaveLength(1);
      let loads = 0;
      const slow = async () => {
        loads++;
        await sleep(100);
        return 'v';
      };
      expect(await Promise.all([a.wrap('k', slow), b.wrap('k', slow)])).toEqual(['v', 'v']);
      expect(loads).toBe(1); // the lock coordinated the two caches again
      await Promise.all([a.close(), b.close(), node.close()]);
    });
  });
});
