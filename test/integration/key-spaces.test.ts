/**
 * Issue 9 items 2, 3, 4 and 10 on a real memcached: the keys that 0.1 let meet (namespaces, lock keys,
 * lone surrogates) stay apart on the wire, and odd numbers and Dates survive memcached's bytes. On both
 * protocols.
 */
import { describe, expect, it } from 'vitest';
import { createCache } from '../../src/index.js';
import { lockKeyOf, toStoreKey } from '../../src/keys.js';
import { deferred } from '../support/deferred.js';
import { useMemcachedNode } from '../support/memcached.js';
import { PROTOCOLS } from '../support/protocols.js';

describe.each(PROTOCOLS)('on %s', (protocol) => {
  const memcached = useMemcachedNode(); // a node of its own: the keys are the same on each protocol
  const cacheOn = (options: object = {}) =>
    createCache({ protocol, servers: [memcached.node.address], safeMode: 'off', pollMaxMs: 10, ...options });

  describe('key spaces on memcached', () => {
    it('keeps lone surrogates and namespaces apart', async () => {
      const root = cacheOn();
      const named = cacheOn({ namespace: `ks${process.pid}` });
      const surrogates = ['id:\ud800', 'id:\udbff', 'id:\udfff', 'id:\ufffd'];
      for (const key of surrogates) await root.set(key, key);
      for (const key of surrogates) expect(await root.get(key)).toBe(key);
      await named.set('b:c', 'named');
      expect(await root.get(`ks${process.pid}:b:c`)).toBeUndefined();
      await Promise.all([root.close(), named.close()]);
    });

    it('never lets a user key hold, read or overwrite a lock', async () => {
      const cache = cacheOn({ waitTimeoutMs: 300, onWaitTimeout: 'throw' });
      await cache.set('safe-k1', 'user value');
      expect(await cache.wrap('k1', () => 'loaded', { lock: true })).toBe('loaded');

      const gate = deferred<string>();
      const holder = cache.wrap('k2', () => gate.promise, { lock: true });
      const lock = lockKeyOf(toStoreKey('', 'k2'));
      while ((await memcached.raw.get(lock)) === null) await new Promise((r) => setTimeout(r, 5));
      const token = await memcached.raw.get(lock);
      expect(await cache.wrap('safe-k2', () => 'other', { lock: true })).toBe('other');
      expect(await memcached.raw.get(lock)).toEqual(token);
      gate.resolve('v');
      expect(await holder).toBe('v');
      await cache.close();
    });

    it('returns on a hit the value the miss returned', async () => {
      const value = {
        nan: Number.NaN,
        inf: Number.NEGATIVE_INFINITY,
        zero: -0,
        gone: undefined,
        at: new Date(1),
      };
      const writer = cacheOn({ namespace: 'kv' });
      await writer.wrap('v', () => value);
      const reader = cacheOn({ namespace: 'kv' });
      const hit = await reader.wrap<unknown>('v', () => 'miss');
      expect(hit).toStrictEqual(value);
      expect(Object.is((hit as typeof value).zero, -0)).toBe(true);
      await Promise.all([writer.close(), reader.close()]);
    });
  });
});
