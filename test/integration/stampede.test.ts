/**
 * The cross-process guarantees, with real memcached and real worker processes, on each protocol: one load
 * per stampede across processes, takeover after a holder dies, and one refresh cluster-wide in grace. Then
 * a mixed cluster (issue 11, acceptance 2): processes on binary and on meta share locks and values.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CacheStats, createCache } from '../../src/index.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS, type Protocol } from '../support/protocols.js';
import { killAllWorkers, spawnWorkers, type WorkerResult } from '../support/workers.js';

const WORKER = fileURLToPath(new URL('../fixtures/wrap-worker.ts', import.meta.url));
let node: MemcachedProcess;
let round = 0;

beforeAll(async () => {
  node = await startMemcached();
});
afterEach(killAllWorkers);
afterAll(stopAllMemcached);

async function stampede(
  protocol: Protocol | readonly Protocol[],
  count: number,
  cacheOptions: object,
  callers = 50,
  loaderMs = 200,
) {
  const group = await spawnWorkers(WORKER, {
    count,
    protocol,
    env: { SERVERS: node.address, CACHE_OPTIONS: JSON.stringify({ namespace: 'st', ...cacheOptions }) },
  });
  const key = `cold:${round++}`;
  group.go({ key, callers, loaderMs });
  return { group, key };
}

/** What a worker reported last (its `done` message), typed. */
const final = (r: WorkerResult) =>
  (r.messages.at(-1) ?? {}) as { loads?: number; values?: unknown[]; errors?: unknown[]; stats?: CacheStats };
const totalLoads = (results: WorkerResult[]) => results.reduce((sum, r) => sum + (final(r).loads ?? 0), 0);
const allValues = (results: WorkerResult[]) => results.flatMap((r) => final(r).values ?? []);
const allErrors = (results: WorkerResult[]) => results.flatMap((r) => final(r).errors ?? []);

/** Every worker exited cleanly, one load ran, and all `callers` got its one value without an error. */
function expectOneLoadForAll(results: WorkerResult[], callers: number): void {
  expect(results.every((r) => r.code === 0)).toBe(true);
  expect(totalLoads(results)).toBe(1);
  const values = allValues(results);
  expect(values).toHaveLength(callers);
  expect(new Set(values).size).toBe(1);
  expect(values[0]).toMatch(/^value-from-\d$/);
  expect(allErrors(results)).toEqual([]);
}

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('cold-key stampede across processes', () => {
    it("loads exactly once for 4 processes x 50 callers with safeMode 'always'", async () => {
      const { group } = await stampede(protocol, 4, { safeMode: 'always' });
      expectOneLoadForAll(await group.done(20_000), 200);
    });

    it("loads at most once per process with safeMode 'off' (in-process coalescing only)", async () => {
      const { group } = await stampede(protocol, 4, { safeMode: 'off' });
      const results = await group.done(20_000);
      expect(totalLoads(results)).toBeGreaterThanOrEqual(1);
      expect(totalLoads(results)).toBeLessThanOrEqual(4);
      for (const r of results) {
        expect(final(r).loads).toBeLessThanOrEqual(1);
        expect(final(r).stats).toMatchObject({ locksAcquired: 0, waits: 0 }); // no safe- lock taken
      }
      expect(allValues(results).every((v) => typeof v === 'string')).toBe(true);
      expect(allValues(results)).toHaveLength(200);
    });

    it('lets another process take over within the lock TTL when the holder is SIGKILLed mid-load', async () => {
      const { group } = await stampede(
        protocol,
        4,
        { safeMode: 'always', lockTtl: 2, waitTimeoutMs: 8000 },
        50,
        1500,
      );
      const holder = await group.waitFor((m) => m.type === 'load-start', 5000);
      group.kill(holder.index, 'SIGKILL');
      const results = await group.done(20_000);
      const survivors = results.filter((r) => r.index !== holder.index);
      expect(results.find((r) => r.index === holder.index)?.signal).toBe('SIGKILL');
      for (const r of survivors) expect(r.code).toBe(0);
      // The killed holder's load plus exactly one takeover, at most.
      const loads = 1 + totalLoads(survivors);
      expect(loads).toBeLessThanOrEqual(2);
      const values = allValues(survivors);
      expect(values).toHaveLength(150);
      expect(values.every((v) => typeof v === 'string' && v !== `value-from-${holder.index}`)).toBe(true);
      expect(allErrors(survivors)).toEqual([]);
      const waited = survivors.map((r) => final(r).stats?.waitTimeouts);
      expect(waited.every((w) => w === 0)).toBe(true); // taken over because the lock expired, not by giving up
    });

    it('serves a stale value in grace to every process while exactly one refresh runs cluster-wide', async () => {
      const key = `grace:${round++}`;
      const seeder = createCache({ protocol, servers: [node.address], namespace: 'st', ttl: 1, grace: 60 });
      await seeder.set(key, 'old');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await seeder.close();
      const group = await spawnWorkers(WORKER, {
        count: 4,
        protocol,
        env: {
          SERVERS: node.address,
          CACHE_OPTIONS: JSON.stringify({ namespace: 'st', ttl: 60, grace: 60 }),
        },
      });
      group.go({ key, callers: 25, loaderMs: 300 });
      const results = await group.done(20_000);
      expect(allValues(results)).toEqual(new Array(100).fill('old'));
      expect(totalLoads(results)).toBe(1);
      const reader = createCache({ protocol, servers: [node.address], namespace: 'st' });
      expect(await reader.get(key)).toMatch(/^value-from-\d$/);
      await reader.close();
    });
  });
});

describe('a mixed cluster: processes on binary and on meta sharing the node and namespace', () => {
  it.each([
    ['binary', 'binary', 'meta', 'meta'],
    ['meta', 'binary', 'meta', 'binary'],
  ] as const)(
    'loads exactly once for 4 processes (%s, %s, %s, %s) x 50 callers on a cold key',
    async (...protocols) => {
      const { group } = await stampede(protocols, 4, { safeMode: 'always' });
      expectOneLoadForAll(await group.done(20_000), 200);
    },
  );

  it.each([
    ['binary', 'meta'],
    ['meta', 'binary'],
  ] as const)(
    'a rolling migration from %s to %s: what the old processes stored is a hit for the new',
    async (from, to) => {
      const key = `migrated:${round++}`;
      const run = async (protocol: Protocol) => {
        const group = await spawnWorkers(WORKER, {
          count: 2,
          protocol,
          env: {
            SERVERS: node.address,
            CACHE_OPTIONS: JSON.stringify({ namespace: 'st', safeMode: 'always' }),
          },
        });
        group.go({ key, callers: 50, loaderMs: 200 });
        return group.done(20_000);
      };
      const before = await run(from);
      expect(totalLoads(before)).toBe(1);
      const after = await run(to);
      expect(totalLoads(after)).toBe(0);
      expect(new Set([...allValues(before), ...allValues(after)]).size).toBe(1);
      expect(allValues(after)).toHaveLength(100);
      for (const r of after) expect(final(r).stats).toMatchObject({ loads: 0, locksAcquired: 0, waits: 0 });
      expect(after.every((r) => (final(r).stats?.hits ?? 0) > 0)).toBe(true); // the joined calls coalesce
    },
  );
});
