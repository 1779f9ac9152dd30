/**
 * How long what the middleware stores lives, over a real memcached: the "not cacheable" marker lives its
 * `passTtl` whatever the grace, and an absurd `s-maxage` is clamped instead of failing the write.
 * On both protocols.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecord } from '../../src/http/record.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS } from '../support/protocols.js';
import { serve } from './harness.js';

let node: MemcachedProcess;
beforeAll(async () => {
  node = await startMemcached();
});
afterAll(stopAllMemcached);

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('the "not cacheable" marker', () => {
    it('lives its passTtl with a long grace: never STALE, no background render, one render per request', async () => {
      const s = await serve(node, {
        protocol,
        renderMs: 10,
        middleware: { grace: 600, staleIfError: 600, passTtl: 2 },
      });
      const refreshes: string[] = [];
      s.cache.on('load', (e) => e.background && refreshes.push(e.key));
      try {
        const path = '/cache-control/m?cc=private';
        expect((await s.get(path)).headers['x-cache']).toBe('MISS');
        expect((await s.get(path)).headers['x-cache']).toBe('BYPASS'); // the marker
        await sleep(2100); // past passTtl, within grace
        const later = await s.get(path);
        expect(later.headers['x-cache']).toBe('MISS'); // a miss again: it rendered for the cache
        await sleep(500); // time for a background render, if one had been started
        expect(s.renders['/cache-control/m']).toBe(3);
        expect(refreshes).toEqual([]);
        expect(s.middleware.stats()).toMatchObject({ miss: 2, bypass: 1, stale: 0 });
      } finally {
        await s.close();
      }
    });
  });

  describe('respectCacheControl', () => {
    it('clamps s-maxage=1e12 to 365 days: the page is stored and served', async () => {
      const s = await serve(node, { protocol, renderMs: 10, middleware: { respectCacheControl: true } });
      const storeErrors: unknown[] = [];
      s.cache.on('store:error', (e) => storeErrors.push(e.error));
      try {
        for (const cc of ['s-maxage=1000000000000', 'max-age=1e12']) {
          const path = `/cache-control/${cc.length}?cc=${encodeURIComponent(cc)}`;
          expect((await s.get(path)).headers['x-cache']).toBe('MISS');
          expect((await s.get(path)).headers['x-cache']).toBe('HIT');
          // The freshness is the cache entry's (as the cache answers it), the record's time is the render's.
          const stored = await s.cache.peek(s.key(path));
          const lifetime = (stored?.freshUntil ?? 0) - (readRecord(stored?.value)?.storedAt ?? 0);
          expect(Math.abs(lifetime - 365 * 24 * 3600 * 1000)).toBeLessThan(1000);
        }
        expect(storeErrors).toEqual([]);
      } finally {
        await s.close();
      }
    });
  });
});
