/** cache.answer() and cache.peek(): how the read-through answered, and the freshness of what it returned. */
import { describe, expect, it, vi } from 'vitest';
import { createCache, MemoryStore } from '../src/index.js';

describe('cache.answer()', () => {
  it('says loaded, then hit, and a call joined on a load waited; freshUntil is the entry’s', async () => {
    const cache = createCache({ store: new MemoryStore(), safeMode: 'off', ttl: 60 });
    try {
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const before = Date.now();
      const first = cache.answer('k', async () => {
        await gate;
        return 1;
      });
      const joined = cache.answer('k', () => 2);
      release();
      const [a, b] = await Promise.all([first, joined]);
      expect(a).toMatchObject({ value: 1, source: 'loaded' });
      expect(b).toMatchObject({ value: 1, source: 'waited', freshUntil: a.freshUntil });
      expect(a.freshUntil).toBeGreaterThanOrEqual(before + 60_000);
      expect(await cache.answer('k', () => 3)).toEqual({ value: 1, source: 'hit', freshUntil: a.freshUntil });
      expect(await cache.wrap('k', () => 4)).toBe(1);
    } finally {
      await cache.close();
    }
  });

  it('says stale within grace; peek() applies the grace of the options it is given, not the cache’s', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const cache = createCache({ store: new MemoryStore(), safeMode: 'off', ttl: 1, grace: 0 });
    try {
      await cache.wrap('k', () => 'v', { grace: 600 });
      vi.setSystemTime(Date.now() + 2000);
      expect(await cache.peek('k')).toBeUndefined(); // the cache's grace: 0
      expect(await cache.peek('k', { grace: 600 })).toMatchObject({ value: 'v', source: 'stale' });
      expect(await cache.answer('k', () => 'new', { grace: 600 })).toMatchObject({
        value: 'v',
        source: 'stale',
      });
    } finally {
      vi.useRealTimers();
      await cache.close();
    }
  });

  it('rejects wrap() options it does not know, and replay descriptions of the wrong shape', async () => {
    const cache = createCache({ store: new MemoryStore(), safeMode: 'off' });
    try {
      await expect(cache.answer('k', () => 1, { replay: { kind: 'url' } as never })).rejects.toThrow(
        '`wrap().replay`',
      );
      expect(() => cache.policy({ ttl: -1 }, 'middleware().')).toThrow('`middleware().ttl`');
      expect(cache.policy({ grace: 5 })).toMatchObject({ grace: 5, ttl: 60 });
    } finally {
      await cache.close();
    }
  });

  it("hands wrap()'s replay option to the recorder with the request", async () => {
    const requests: unknown[] = [];
    const recorder = {
      recordRequest: (key: string, replay: unknown) => requests.push([key, replay]),
      recordCost() {},
    };
    const cache = createCache({ store: new MemoryStore(), safeMode: 'off', recorder });
    try {
      await cache.wrap('page', () => 1, { replay: { kind: 'url', url: '/page' } });
      await cache.wrap('plain', () => 1);
      expect(requests).toEqual([
        ['page', { kind: 'url', url: '/page' }],
        ['plain', undefined],
      ]);
    } finally {
      await cache.close();
    }
  });
});
