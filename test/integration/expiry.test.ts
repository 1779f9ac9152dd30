/**
 * TTLs against memcached's own clock, which ticks once a second: an item set with a TTL of n seconds
 * expires at the n-th tick, so it can live anything from n-1 to n seconds. The cache must still keep a
 * value for its whole TTL and a live holder's lock for its whole lockTtl. On both protocols.
 */
import { describe, expect, it, vi } from 'vitest';
import { createCache, InvalidOptionError, type LoaderContext } from '../../src/index.js';
import { MAX_TTL_SECONDS } from '../../src/options.js';
import { sleep } from '../support/deferred.js';
import { useMemcachedNode } from '../support/memcached.js';
import { PROTOCOLS, type Protocol, poolOn } from '../support/protocols.js';

const memcached = useMemcachedNode();

let probes = 0;
/** Resolves just before memcached's clock ticks (about `beforeMs` ahead of it). */
async function justBeforeTick(beforeMs: number): Promise<void> {
  const key = `tick-probe:${probes++}`;
  await memcached.raw.set(key, Buffer.from('x'), 1);
  while ((await memcached.raw.get(key)) !== null) await sleep(2); // gone: the clock just ticked
  await sleep(1000 - beforeMs);
}

const cacheOn = (protocol: Protocol, options: object) =>
  createCache({
    protocol,
    servers: [memcached.node.address],
    namespace: `exp-${protocol}`,
    safeMode: 'always',
    pollMaxMs: 10,
    ...options,
  });

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe("memcached's one-second clock", () => {
    it('keeps a live holder’s lock (lockTtl 1) while another worker waits: one load', async () => {
      const [a, b] = [cacheOn(protocol, { lockTtl: 1 }), cacheOn(protocol, { lockTtl: 1 })];
      const loader = vi.fn(async () => {
        await sleep(400);
        return 'v';
      });
      await justBeforeTick(100);
      const first = a.wrap('locked', loader);
      await sleep(20);
      const second = b.wrap('locked', loader);
      expect(await Promise.all([first, second])).toEqual(['v', 'v']);
      expect(loader).toHaveBeenCalledTimes(1);
      await Promise.all([a.close(), b.close()]);
    });

    it('serves a value with ttl 1 as a hit for its whole second', async () => {
      const cache = cacheOn(protocol, { ttl: 1 });
      const loader = vi.fn(() => 'v');
      await justBeforeTick(100);
      await cache.wrap('short', loader);
      await sleep(300); // past memcached's tick, well within the 1 s TTL
      await cache.wrap('short', loader);
      expect(loader).toHaveBeenCalledTimes(1);
      await cache.close();
    });
  });

  describe('long and absurd TTLs', () => {
    it('stores a value with ctx.setTtl(MAX_TTL_SECONDS) and the longest windows, and reads it back as a hit', async () => {
      const cache = cacheOn(protocol, { grace: MAX_TTL_SECONDS, staleIfError: MAX_TTL_SECONDS });
      const errors = vi.fn();
      cache.on('store:error', errors);
      const loader = vi.fn((ctx: LoaderContext) => {
        ctx.setTtl(MAX_TTL_SECONDS);
        return 'for a year';
      });
      expect(await cache.wrap('year', loader)).toBe('for a year');
      expect(await cache.wrap('year', loader)).toBe('for a year');
      expect(loader).toHaveBeenCalledTimes(1);
      expect(errors).not.toHaveBeenCalled();
      expect(await cache.set('year-set', 1, { ttl: MAX_TTL_SECONDS })).toBe(true);
      await cache.close();
    });

    it('rejects ctx.setTtl() beyond MAX_TTL_SECONDS instead of a write memcached refuses (a MISS forever)', async () => {
      const cache = cacheOn(protocol, {});
      for (const seconds of [1e12, MAX_TTL_SECONDS + 1, 0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        const error = await cache
          .wrap(`absurd:${seconds}`, (ctx) => {
            ctx.setTtl(seconds);
            return 'never stored';
          })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidOptionError);
        expect(error).toMatchObject({ code: 'E_INVALID_OPTION', option: 'setTtl()' });
      }
      await expect(cache.set('absurd', 1, { ttl: 1e12 })).rejects.toMatchObject({ option: 'set().ttl' });
      await cache.close();
    });

    it('refuses at the store a TTL memcached cannot take, before sending it and without health evidence', async () => {
      const pool = poolOn(protocol, [memcached.node]);
      const outcomes = vi.fn();
      const unobserve = pool.observeOutcomes(outcomes);
      for (const ttl of [1e12, Number.NaN]) {
        await expect(pool.set('t', Buffer.from('x'), ttl)).rejects.toMatchObject({
          code: 'E_INVALID_OPTION',
          option: 'ttlSeconds',
        });
        await expect(pool.add('t', Buffer.from('x'), ttl)).rejects.toBeInstanceOf(InvalidOptionError);
        await expect(pool.touch('t', ttl)).rejects.toBeInstanceOf(InvalidOptionError);
      }
      expect(outcomes).not.toHaveBeenCalled();
      unobserve();
      await pool.close();
    });
  });
});
