/**
 * wrap() against a real memcached that misbehaves or is fed awkward input: loader errors, a hung node,
 * huge and odd keys, values too large for memcached. On both protocols.
 */
import { describe, expect, it, vi } from 'vitest';
import { createCache, SerializationError } from '../../src/index.js';
import { lockKeyOf, toStoreKey } from '../../src/keys.js';
import { deferred, sleep } from '../support/deferred.js';
import { startMemcached, useMemcachedNode } from '../support/memcached.js';
import { PROTOCOLS, type Protocol } from '../support/protocols.js';

const memcached = useMemcachedNode();

/** Each protocol's run in its own namespace on the shared node. */
const namespaceOf = (protocol: Protocol) => `ft-${protocol}`;
const cacheOn = (protocol: Protocol, address: string, options: object = {}) =>
  createCache({
    protocol,
    servers: [address],
    namespace: namespaceOf(protocol),
    opTimeoutMs: 200,
    ...options,
  });

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('loader errors on real memcached', () => {
    it('reach every joiner, cache nothing, and release the lock at once', async () => {
      const cache = cacheOn(protocol, memcached.node.address, { lockTtl: 30, safeMode: 'always' });
      const gate = deferred<string>();
      const calls = Array.from({ length: 20 }, () => cache.wrap('boom', () => gate.promise));
      await vi.waitFor(async () =>
        expect(await memcached.raw.get(lockKeyOf(toStoreKey(namespaceOf(protocol), 'boom')))).not.toBeNull(),
      );
      gate.reject(new Error('db exploded'));
      const settled = await Promise.allSettled(calls);
      expect(settled.map((s) => s.status === 'rejected' && (s.reason as Error).message)).toEqual(
        new Array(20).fill('db exploded'),
      );
      expect(await memcached.raw.get(lockKeyOf(toStoreKey(namespaceOf(protocol), 'boom')))).toBeNull();
      expect(await memcached.raw.get(toStoreKey(namespaceOf(protocol), 'boom'))).toBeNull();
      // A second cache (another worker) loads at once instead of waiting out the 30 s lock TTL.
      const other = cacheOn(protocol, memcached.node.address, {
        lockTtl: 30,
        safeMode: 'always',
        waitTimeoutMs: 20_000,
        onWaitTimeout: 'throw',
      });
      const loader = vi.fn(() => 'recovered');
      expect(await other.wrap('boom', loader)).toBe('recovered');
      expect(other.stats().waits).toBe(0);
      await Promise.all([cache.close(), other.close()]);
    });
  });

  describe('a hung memcached node (SIGSTOP)', () => {
    it('still answers every call from the loader, leaves nothing pending, and uses the cache again after SIGCONT', async () => {
      const hung = await startMemcached();
      const cache = cacheOn(protocol, hung.address);
      const storeErrors = vi.fn();
      cache.on('store:error', storeErrors);
      try {
        hung.stop();
        const loader = vi.fn(async () => {
          await sleep(100);
          return 'from-db';
        });
        // Every kind of call, on several keys; each must settle (none pending) within a bound.
        const calls: Array<Promise<unknown>> = [
          ...Array.from({ length: 10 }, (_, i) => cache.wrap(`k${i % 3}`, loader)),
          cache.get('k0'),
          cache.set('x', 1).catch((e: unknown) => e),
          cache.delete('x').catch((e: unknown) => e),
        ];
        const pending = new Set(calls);
        for (const c of calls) void c.finally(() => pending.delete(c));
        await Promise.race([Promise.allSettled(calls), sleep(3000)]);
        expect(pending.size).toBe(0);
        const results = await Promise.all(calls);
        expect(results.slice(0, 10)).toEqual(new Array(10).fill('from-db'));
        expect(loader).toHaveBeenCalledTimes(3); // one per key: still coalesced in-process
        expect(results[10]).toBeUndefined();
        expect(results[11]).toMatchObject({ code: 'E_STORE_TIMEOUT' });
        expect(storeErrors).toHaveBeenCalled();

        hung.cont();
        await vi.waitFor(async () => expect(await cache.set('after', 'v')).toBe(true), { timeout: 5000 });
        const hitsBefore = cache.stats().hits;
        const again = vi.fn(() => 'cached');
        await cache.wrap('fresh-key', again);
        await cache.wrap('fresh-key', again);
        expect(again).toHaveBeenCalledTimes(1);
        expect(cache.stats().hits).toBe(hitsBefore + 1);
      } finally {
        await cache.close();
        await hung.close();
      }
    });

    it('never fails a call when the node is dead', async () => {
      const dead = await startMemcached();
      await dead.kill();
      const cache = cacheOn(protocol, dead.address);
      expect(
        await Promise.all([cache.wrap('a', () => 1), cache.wrap('a', () => 2), cache.wrap('b', () => 3)]),
      ).toEqual([1, 1, 3]);
      expect(cache.stats().storeErrors).toBeGreaterThan(0);
      await cache.close();
    });
  });

  describe('awkward keys and values on real memcached', () => {
    it.each([
      ['over 250 bytes', `long:${'x'.repeat(400)}`],
      ['with spaces', 'user name with spaces'],
      ['non-ASCII', 'ユーザー:42:émoji-🎉'],
      ['with control characters', 'line\r\nbreak\t'],
    ])('stores and finds a key %s', async (_, key) => {
      const cache = cacheOn(protocol, memcached.node.address);
      const loader = vi.fn(() => ({ key }));
      expect(await cache.wrap(key, loader)).toEqual({ key });
      expect(await cache.wrap(key, loader)).toEqual({ key });
      expect(loader).toHaveBeenCalledTimes(1);
      expect(cache.stats().storeErrors).toBe(0);
      await cache.close();
    });

    it('returns a value over maxValueBytes without storing it, with an event', async () => {
      const cache = cacheOn(protocol, memcached.node.address);
      const tooLarge = vi.fn();
      cache.on('value:too-large', tooLarge);
      const big = 'x'.repeat(1024 * 1024 + 10);
      expect(await cache.wrap('big', () => big)).toBe(big);
      expect(await memcached.raw.get(toStoreKey(namespaceOf(protocol), 'big'))).toBeNull();
      expect(tooLarge).toHaveBeenCalledWith(expect.objectContaining({ key: 'big' }));
      await cache.close();
    });

    it('returns a value memcached itself refuses as too large, with an event', async () => {
      // maxValueBytes above memcached's 1 MiB item limit: memcached answers "Value too large".
      const cache = cacheOn(protocol, memcached.node.address, { maxValueBytes: 4 * 1024 * 1024 });
      const tooLarge = vi.fn();
      cache.on('value:too-large', tooLarge);
      const big = 'y'.repeat(1024 * 1024 + 10);
      expect(await cache.wrap('big2', () => big)).toBe(big);
      expect(tooLarge).toHaveBeenCalledTimes(1);
      expect(cache.stats().storeErrors).toBe(0);
      expect(await cache.wrap('small-after', () => 'ok')).toBe('ok'); // the connection survived
      await cache.close();
    });

    it('rejects a value that cannot be serialized with a clear error', async () => {
      const cache = cacheOn(protocol, memcached.node.address);
      await expect(cache.wrap('bigint', () => ({ n: 1n }))).rejects.toBeInstanceOf(SerializationError);
      await expect(cache.wrap('bigint', () => ({ n: 1n }))).rejects.toThrow(
        /Cannot serialize the value of "bigint"/,
      );
      await cache.close();
    });
  });

  describe('a full memcached node (-M: out of memory instead of evicting)', () => {
    it('is alive, not down: writes are refused with E_STORE_OUT_OF_MEMORY, callers get their values, reads still hit', async () => {
      const full = await startMemcached({ memoryMb: 2, extraArgs: ['-M'] });
      const cache = cacheOn(protocol, full.address, { probeIntervalMs: 100, downAfter: 2, settleMs: 300 });
      const nodeEvents: string[] = [];
      for (const name of ['node:down', 'node:up', 'safe-mode:on'] as const) {
        cache.on(name, () => nodeEvents.push(name));
      }
      const storeErrors: Array<{ operation: string; error: unknown }> = [];
      cache.on('store:error', (e) => storeErrors.push(e));
      try {
        const page = 'p'.repeat(100_000);
        expect(await cache.wrap('kept', () => 'small')).toBe('small');
        // Fill the node: 100 KB items until memcached refuses them.
        let refused = 0;
        for (let i = 0; i < 60 && refused < 6; i++) {
          expect(await cache.wrap(`page:${i}`, () => page)).toBe(page);
          if (storeErrors.length > refused) refused = storeErrors.length;
        }
        expect(refused).toBeGreaterThan(0);
        // Keep writing for several probe intervals: a node that answers must never be taken for dead.
        const deadline = Date.now() + 800;
        for (let i = 0; Date.now() < deadline; i++) {
          expect(await cache.wrap(`more:${i}`, () => page)).toBe(page);
        }
        expect(storeErrors.length).toBeGreaterThan(5);
        for (const e of storeErrors) {
          expect(e).toMatchObject({ operation: 'set', error: { code: 'E_STORE_OUT_OF_MEMORY' } });
        }
        expect(nodeEvents).toEqual([]);
        expect(cache.safeMode).toMatchObject({
          active: false,
          nodes: [{ state: 'up', consecutiveFailures: 0 }],
        });
        expect(await cache.wrap('kept', () => 'not called')).toBe('small'); // reads still hit
        // An explicit set() reports the refused write.
        await expect(cache.set('explicit', page)).rejects.toMatchObject({ code: 'E_STORE_OUT_OF_MEMORY' });
      } finally {
        await cache.close();
        await full.close();
      }
    });
  });
});
