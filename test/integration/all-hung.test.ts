/**
 * Chaos: every memcached node hangs at once (SIGSTOP). A call may wait out one `opTimeoutMs` while the
 * monitor has not yet marked the nodes down; once it has, calls send nothing to them and wait for
 * nothing, until probes find them answering again (SIGCONT). Asserted by counting the calls issued to
 * the nodes and the timeouts met, with generous time bounds only in addition. On both protocols.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { type CacheEvents, createCache, type StoreError } from '../../src/index.js';
import { MemcachedNode } from '../../src/store/memjs/memcached-node.js';
import { MetaNode } from '../../src/store/meta/meta-node.js';
import { sleep } from '../support/deferred.js';
import { startCluster, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS, type Protocol } from '../support/protocols.js';

afterAll(stopAllMemcached);
afterEach(() => {
  vi.restoreAllMocks();
});

const OP_TIMEOUT_MS = 200;
const OPERATIONS = ['get', 'set', 'add', 'delete', 'touch'] as const;

/** Counts the ordinary calls (not probes) issued to any memcached node of `protocol`, by operation. */
function countNodeCalls(protocol: Protocol) {
  const node = protocol === 'meta' ? MetaNode.prototype : MemcachedNode.prototype;
  const spies = OPERATIONS.map((op) => vi.spyOn(node, op));
  return () =>
    Object.fromEntries(OPERATIONS.map((op, i) => [op, spies[i]?.mock.calls.length ?? 0])) as Record<
      (typeof OPERATIONS)[number],
      number
    >;
}

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('every node hung (SIGSTOP), then back (SIGCONT)', () => {
    it('costs at most one timeout per call before the nodes are known down, none after, and recovers through probes', async () => {
      const nodes = await startCluster(3);
      const cache = createCache({
        protocol,
        servers: nodes.map((n) => n.address),
        namespace: 'hung',
        opTimeoutMs: OP_TIMEOUT_MS,
        probeIntervalMs: 200,
        probeTimeoutMs: 100,
        downAfter: 2,
        settleMs: 300,
      });
      const storeErrors: Array<CacheEvents['store:error']> = [];
      cache.on('store:error', (e) => storeErrors.push(e));
      const ups: string[] = [];
      cache.on('node:up', (e) => ups.push(e.node));
      const loader = vi.fn((key: string) => `value of ${key}`);
      const call = (key: string) => cache.wrap(key, () => loader(key));
      const timeouts = () => storeErrors.filter((e) => (e.error as StoreError).code === 'E_STORE_TIMEOUT');
      const allDown = () => cache.safeMode.nodes.every((n) => n.state === 'down');
      try {
        const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
        for (const k of keys) expect(await call(k)).toBe(`value of ${k}`);
        const calls = countNodeCalls(protocol);

        for (const node of nodes) node.stop();

        // Before every node is known down: each call reads once and waits at most one timeout, then loads.
        let before = 0;
        for (let i = 0; !allDown(); i++) {
          expect(i).toBeLessThan(100);
          const reads = calls().get;
          const timeoutsBefore = timeouts().filter((e) => e.operation === 'get').length;
          const started = performance.now();
          expect(await call(`before:${i}`)).toBe(`value of before:${i}`);
          const elapsed = performance.now() - started;
          expect(calls().get - reads).toBeLessThanOrEqual(1); // no start-over after a timeout
          expect(timeouts().filter((e) => e.operation === 'get').length - timeoutsBefore).toBeLessThanOrEqual(
            1,
          );
          expect(elapsed).toBeLessThan(OP_TIMEOUT_MS + 250); // generous: one timeout, not three
          before++;
        }
        expect(before).toBeGreaterThan(0);
        expect(cache.safeMode.nodes.map((n) => n.reason)).toEqual(['hung', 'hung', 'hung']);

        // Known down: writes left running by earlier calls settle first (each within its own timeout).
        await sleep(2 * OP_TIMEOUT_MS);
        const issued = calls();
        const timedOut = timeouts().length;
        const errorsBefore = storeErrors.length;
        const started = performance.now();
        for (let i = 0; i < 20; i++) expect(await call(`down:${i}`)).toBe(`value of down:${i}`);
        expect(await cache.get('k0')).toBeUndefined();
        const elapsed = performance.now() - started;
        expect(calls()).toEqual(issued); // nothing sent to a known-down node
        expect(timeouts()).toHaveLength(timedOut); // no call waited for a timeout
        const downErrors = storeErrors.slice(errorsBefore);
        expect(downErrors.length).toBeGreaterThanOrEqual(20);
        for (const e of downErrors) expect(e.error).toMatchObject({ code: 'E_NODE_DOWN' });
        expect(elapsed).toBeLessThan(20 * OP_TIMEOUT_MS); // generous: 21 timeouts would take 4.2 s

        // Back: probes bring every node up, and the cache works again.
        for (const node of nodes) node.cont();
        await vi.waitFor(() => expect(cache.safeMode.nodes.every((n) => n.state === 'up')).toBe(true), {
          timeout: 5000,
        });
        expect(new Set(ups)).toEqual(new Set(nodes.map((n) => n.address)));
        await vi.waitFor(async () => expect(await cache.set('after', 'v')).toBe(true), { timeout: 5000 });
        loader.mockClear();
        const hits = cache.stats().hits;
        expect(await call('again')).toBe('value of again');
        expect(await call('again')).toBe('value of again');
        expect(loader).toHaveBeenCalledTimes(1);
        expect(cache.stats().hits).toBe(hits + 1);
      } finally {
        for (const node of nodes) node.cont();
        await cache.close();
        await Promise.all(nodes.map((n) => n.close()));
      }
    });
  });
});
