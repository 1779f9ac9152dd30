/**
 * The memory tier with real memcached and real processes: a cold-key stampede still loads once, and a
 * set() in one process reaches another process's tier within that tier's ttl (at once in its own). On
 * both protocols.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CacheStats, createCache } from '../../src/index.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS } from '../support/protocols.js';
import { killAllWorkers, spawnWorkers, type WorkerGroup, type WorkerResult } from '../support/workers.js';

const WRAP_WORKER = fileURLToPath(new URL('../fixtures/wrap-worker.ts', import.meta.url));
const READER_WORKER = fileURLToPath(new URL('../fixtures/memory-reader-worker.ts', import.meta.url));
const MEMORY = { maxEntries: 1000, ttl: 0.5 };
let node: MemcachedProcess;

beforeAll(async () => {
  node = await startMemcached();
});
afterEach(killAllWorkers);
afterAll(stopAllMemcached);

const final = (r: WorkerResult) =>
  (r.messages.at(-1) ?? {}) as { loads?: number; values?: unknown[]; errors?: unknown[]; stats?: CacheStats };

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('memory tier across processes (real memcached)', () => {
    it('4 processes x 50 callers on one cold key with the tier on: still one load', async () => {
      const group = await spawnWorkers(WRAP_WORKER, {
        count: 4,
        protocol,
        env: {
          SERVERS: node.address,
          CACHE_OPTIONS: JSON.stringify({ namespace: `mt-${protocol}`, safeMode: 'always', memory: MEMORY }),
        },
      });
      group.go({ key: 'cold', callers: 50, loaderMs: 200 });
      const results = await group.done(20_000);
      expect(results.every((r) => r.code === 0)).toBe(true);
      expect(results.reduce((sum, r) => sum + (final(r).loads ?? 0), 0)).toBe(1);
      const values = results.flatMap((r) => final(r).values ?? []);
      expect(values).toHaveLength(200);
      expect(new Set(values).size).toBe(1);
      expect(results.flatMap((r) => final(r).errors ?? [])).toEqual([]);
    });

    it('a set() in process A: A reads it at once, B’s tier after its ttl (+ one poll)', async () => {
      const a = createCache({
        protocol,
        servers: node.address,
        namespace: `mt-${protocol}`,
        safeMode: 'off',
        memory: MEMORY,
      });
      const b = await spawnWorkers(READER_WORKER, {
        count: 1,
        protocol,
        env: {
          SERVERS: node.address,
          CACHE_OPTIONS: JSON.stringify({ namespace: `mt-${protocol}`, safeMode: 'off', memory: MEMORY }),
        },
      });
      let seq = 0;
      const readInB = async (group: WorkerGroup) => {
        const id = seq++;
        group.send(0, { type: 'read', seq: id, key: 'shared' });
        const { msg } = await group.waitFor((m) => m.type === 'value' && m.seq === id, 5000);
        return msg as unknown as { value: unknown; stats: CacheStats };
      };
      try {
        await a.set('shared', 'v1');
        expect((await readInB(b)).value).toBe('v1');
        const second = await readInB(b);
        expect(second.value).toBe('v1');
        expect(second.stats.memoryHits).toBe(1); // B's tier holds it

        await a.set('shared', 'v2');
        expect(await a.wrap('shared', () => 'loaded')).toBe('v2');
        expect(a.stats().memoryHits).toBe(1); // A's own tier was updated by its set()

        await sleep(MEMORY.ttl * 1000 + 300);
        const after = await readInB(b);
        expect(after.value).toBe('v2');
        expect(after.stats.loads).toBe(0);
      } finally {
        b.send(0, { type: 'stop' });
        await b.done(5000);
        await a.close();
      }
    });
  });
});
