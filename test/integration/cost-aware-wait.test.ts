/**
 * Cost-aware waiting across real processes and a real memcached: waiters use the estimate the lock
 * holder publishes, still get one load when the loader's cost strays ±50% from it, and still wait
 * behind a 0.1 holder (a bare-token lock), on both protocols (the expired entries and the 0.1 lock are
 * written through memjs). Takeover after a holder dies: stampede.test.ts.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../src/envelope.js';
import { type CacheStats, createCache, jsonSerializer, MemcachedStore } from '../../src/index.js';
import { lockKeyOf, toStoreKey } from '../../src/keys.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS, type Protocol } from '../support/protocols.js';
import { killAllWorkers, spawnWorkers, type WorkerGroup, type WorkerResult } from '../support/workers.js';

const WORKER = fileURLToPath(new URL('../fixtures/wrap-worker.ts', import.meta.url));
const NAMESPACE = 'cw';
let node: MemcachedProcess;
let raw: MemcachedStore;
let round = 0;

beforeAll(async () => {
  node = await startMemcached();
  raw = new MemcachedStore({ servers: [{ address: node.address, weight: 1 }], opTimeoutMs: 1000 });
});
afterEach(killAllWorkers);
afterAll(async () => {
  await raw.close();
  await stopAllMemcached();
});

interface Final {
  loads?: number;
  values?: unknown[];
  errors?: unknown[];
  stats?: CacheStats;
  waits?: Array<{ reads: number; waitedMs: number }>;
}
const final = (r: WorkerResult) => (r.messages.at(-1) ?? {}) as Final;
const storeKeyOf = (key: string) => toStoreKey(NAMESPACE, key);

/** A key that expired, its entry still recording what its load cost. */
async function expiredKey(costMs: number): Promise<string> {
  const key = `expired:${round++}`;
  const bytes = encodeEnvelope({ value: 'old', freshUntil: Date.now() - 60_000, costMs }, jsonSerializer);
  await raw.set(storeKeyOf(key), bytes, 300);
  return key;
}

async function stampede(
  protocol: Protocol,
  key: string,
  loaderMs: number,
  cacheOptions: object = {},
  afterGo: (group: WorkerGroup) => Promise<void> = async () => {},
) {
  const group = await spawnWorkers(WORKER, {
    count: 4,
    protocol,
    env: {
      SERVERS: node.address,
      CACHE_OPTIONS: JSON.stringify({ namespace: NAMESPACE, safeMode: 'always', ...cacheOptions }),
    },
  });
  group.go({ key, callers: 50, loaderMs });
  await afterGo(group);
  const all = await group.done(20_000);
  const results = all.filter((r) => r.signal === null); // a holder killed on purpose reports nothing
  expect(results.every((r) => r.code === 0)).toBe(true);
  const values = results.flatMap((r) => final(r).values ?? []);
  const waits = results.flatMap((r) => final(r).waits ?? []);
  return {
    loads: results.reduce((sum, r) => sum + (final(r).loads ?? 0), 0),
    values,
    errors: results.flatMap((r) => final(r).errors ?? []),
    waits: results.reduce((sum, r) => sum + (final(r).stats?.waits ?? 0), 0),
    maxWaitsPerProcess: Math.max(...results.map((r) => final(r).stats?.waits ?? 0)),
    waitTimeouts: results.reduce((sum, r) => sum + (final(r).stats?.waitTimeouts ?? 0), 0),
    // Per second of waiting: a process whose go message arrived late (a busy machine) waits less.
    readsPerWaitedSecond:
      waits.reduce((sum, w) => sum + w.reads, 0) / (waits.reduce((sum, w) => sum + w.waitedMs, 0) / 1000),
  };
}

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('cost-aware waiting across processes', () => {
    it('uses the published estimate: far fewer reads for the same wake-up precision, one load', async () => {
      // Both poll every few ms near the end (6 ms blind, 6 ms at the expected finish of a 600 ms load);
      // without an estimate they must do so throughout, while with one they sleep through nearly half the
      // load and poll less often away from the expected finish (in theory ~0.5x the reads; a busy machine
      // that delivers the go message late to some processes narrows the gap, hence the margin).
      const informed = await stampede(protocol, await expiredKey(600), 600);
      const blind = await stampede(protocol, `never-loaded:${round++}`, 600);
      for (const run of [informed, blind]) {
        expect(run.loads).toBe(1);
        expect(run.values).toHaveLength(200);
        expect(new Set(run.values).size).toBe(1);
        expect(run.errors).toEqual([]);
        // At most one waiter per process: its 49 joiners share its flight and never poll.
        expect(run.maxWaitsPerProcess).toBe(1);
      }
      expect(informed.readsPerWaitedSecond).toBeLessThan(0.8 * blind.readsPerWaitedSecond);
    });

    it.each([150, 450])(
      'loads once with no waiter timeout when the load takes %i ms after 300 ms last time',
      async (loaderMs) => {
        const run = await stampede(protocol, await expiredKey(300), loaderMs);
        expect(run.loads).toBe(1);
        expect(run.values).toHaveLength(200);
        expect(new Set(run.values).size).toBe(1);
        expect(run.waitTimeouts).toBe(0);
        expect(run.errors).toEqual([]);
      },
    );

    it('takes over from a holder SIGKILLed mid-load after its estimate ran out (the lock expired)', async () => {
      let killed = -1;
      const run = await stampede(
        protocol,
        await expiredKey(1500),
        1500,
        { lockTtl: 2, waitTimeoutMs: 8000 },
        async (group) => {
          killed = (await group.waitFor((m) => m.type === 'load-start', 5000)).index;
          group.kill(killed, 'SIGKILL');
        },
      );
      expect(killed).toBeGreaterThanOrEqual(0);
      expect(run.loads).toBe(1); // the takeover (the killed holder's load is not counted)
      expect(run.values).toHaveLength(150);
      expect(new Set(run.values).size).toBe(1);
      expect(run.values[0]).not.toBe(`value-from-${killed}`);
      expect(run.waitTimeouts).toBe(0);
    });

    it('waits behind a 0.1 holder (its lock value is the bare token) and takes its value', async () => {
      const key = `old-holder:${round++}`;
      const lockKey = lockKeyOf(storeKeyOf(key));
      expect(await raw.add(lockKey, Buffer.from('oldhost/4242/0a0b0c0d0e0f/1'), 30)).toBe(true);
      const writer = createCache({ protocol, servers: [node.address], namespace: NAMESPACE });
      // The 0.1 holder finishes its load while every worker waits on its lock.
      const run = await stampede(protocol, key, 200, {}, async () => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        await writer.set(key, 'from-0.1');
        await raw.delete(lockKey);
      });
      await writer.close();
      expect(run.loads).toBe(0);
      expect(run.values).toEqual(new Array(200).fill('from-0.1'));
      expect(run.waits).toBe(4); // one waiter per process
      expect(run.waitTimeouts).toBe(0);
    });
  });
});
