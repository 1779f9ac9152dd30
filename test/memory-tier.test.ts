/**
 * The memory tier's policy (`createCache({ memory })`), over MemoryStore: what it answers, what it never
 * holds past, how this process's writes reach it, what it counts, and its options.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type CacheEvents, type CacheOptions, createCache, MemoryStore } from '../src/index.js';
import { registerCacheMetrics } from '../src/prometheus/index.js';
import { CountingStore } from './support/counting-store.js';

const tierOn = (store: CountingStore | MemoryStore, extra: Partial<CacheOptions> = {}) =>
  createCache({ store, safeMode: 'off', memory: { maxEntries: 100 }, ...extra });

afterEach(() => {
  vi.useRealTimers();
});

describe('memory tier', () => {
  it('answers repeated hits without a store call, and says which tier answered', async () => {
    const store = new CountingStore(new MemoryStore());
    const cache = tierOn(store);
    const hits: Array<CacheEvents['hit']> = [];
    cache.on('hit', (e) => hits.push(e));
    try {
      const loaded = await cache.answer('k', () => ({ n: 1 }));
      const callsAfterLoad = store.calls;
      for (let i = 0; i < 5; i++) expect(await cache.wrap('k', () => ({ n: 2 }))).toEqual({ n: 1 });
      expect(await cache.answer('k', () => ({ n: 3 }))).toEqual({
        value: { n: 1 },
        source: 'hit',
        freshUntil: loaded.freshUntil,
      });
      expect(store.calls).toBe(callsAfterLoad);
      expect(cache.stats()).toMatchObject({ loads: 1, hits: 6, memoryHits: 6 });
      expect(hits.every((e) => e.tier === 'memory')).toBe(true);
    } finally {
      await cache.close();
    }
  });

  it('is off by default: hits come from the store and memoryHits stays 0', async () => {
    const store = new CountingStore(new MemoryStore());
    const cache = createCache({ store, safeMode: 'off' });
    const tiers: string[] = [];
    cache.on('hit', (e) => tiers.push(e.tier));
    try {
      await cache.wrap('k', () => 1);
      const calls = store.calls;
      await cache.wrap('k', () => 2);
      await cache.wrap('k', () => 2);
      expect(store.calls).toBe(calls + 2);
      expect(tiers).toEqual(['store', 'store']);
      expect(cache.stats()).toMatchObject({ hits: 2, memoryHits: 0 });
    } finally {
      await cache.close();
    }
  });

  it('keeps what a store hit decoded: the next hit is the memory tier’s', async () => {
    const shared = new MemoryStore();
    const writer = createCache({ store: shared, safeMode: 'off' });
    const store = new CountingStore(shared);
    const reader = tierOn(store);
    try {
      await writer.set('k', 'v');
      expect(await reader.wrap('k', () => 'loaded')).toBe('v');
      const calls = store.calls;
      expect(await reader.wrap('k', () => 'loaded')).toBe('v');
      expect(store.calls).toBe(calls);
      expect(reader.stats()).toMatchObject({ hits: 2, memoryHits: 1, loads: 0 });
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it('answers get() and peek() without a store call, and keeps what their store reads decoded', async () => {
    const shared = new MemoryStore();
    const writer = createCache({ store: shared, safeMode: 'off' });
    const store = new CountingStore(shared);
    const reader = tierOn(store);
    try {
      await writer.set('k', { n: 1 });
      expect(await reader.get('k')).toEqual({ n: 1 }); // from the store, now held
      const calls = store.calls;
      expect(await reader.get('k')).toEqual({ n: 1 });
      const peeked = await reader.peek('k');
      expect(peeked).toMatchObject({ value: { n: 1 }, source: 'hit' });
      expect(peeked?.freshUntil).toBeGreaterThan(Date.now());
      expect(await reader.wrap('k', () => ({ n: 2 }))).toEqual({ n: 1 });
      expect(store.calls).toBe(calls);
      // A set() or delete() in this process reaches get() and peek() at once, as wrap().
      await reader.set('k', { n: 3 });
      expect(await reader.get('k')).toEqual({ n: 3 });
      await reader.delete('k');
      expect(await reader.get('k')).toBeUndefined();
      expect(await reader.peek('k')).toBeUndefined();
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it('holds each entry for at most its ttl, not all for exactly the same time (no burst of re-reads)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = new CountingStore(new MemoryStore());
    const cache = tierOn(store, { memory: { maxEntries: 100, ttl: 10 } });
    try {
      for (let i = 0; i < 50; i++) await cache.set(`k${i}`, i);
      const held = async () => {
        const before = store.calls;
        // get() reads the tier without re-reading a key near the end of its hold (wrap() would).
        for (let i = 0; i < 50; i++) expect(await cache.get(`k${i}`)).toBe(i);
        return 50 - (store.calls - before); // answered by the tier
      };
      vi.setSystemTime(Date.now() + 8_900);
      expect(await held()).toBe(50);
      // 9.5 s after the writes, holds being spread over [9 s, 10 s]: some, not all, expired (each one with
      // probability 1/2, so all 50 alike has odds of 2^-49).
      vi.setSystemTime(Date.now() + 600);
      const kept = await held();
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(50);
    } finally {
      await cache.close();
    }
  });

  it('re-reads a key in use near the end of its hold in the background: its callers never wait for the store', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = new CountingStore(new MemoryStore());
    const cache = tierOn(store, { ttl: 600, memory: { maxEntries: 100, ttl: 10 } });
    try {
      await cache.set('k', 1); // held 9-10 s, re-read from 2 s before its hold ends
      vi.setSystemTime(Date.now() + 5_000);
      let calls = store.calls;
      expect(await cache.wrap('k', () => -1)).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(store.calls).toBe(calls); // too early for a re-read
      vi.setSystemTime(Date.now() + 3_100); // 8.1 s
      expect(await cache.wrap('k', () => -1)).toBe(1); // answered by the tier, and starts the re-read
      expect(await cache.wrap('k', () => -1)).toBe(1); // one re-read at a time
      await new Promise((resolve) => setImmediate(resolve));
      expect(store.calls).toBe(calls + 1);
      calls = store.calls;
      vi.setSystemTime(Date.now() + 5_000); // 13.1 s: past the first hold, within the renewed one
      expect(await cache.wrap('k', () => -1)).toBe(1);
      expect(store.calls).toBe(calls);
      expect(cache.stats()).toMatchObject({ hits: 4, memoryHits: 4, misses: 0 });
    } finally {
      await cache.close();
    }
  });

  it('lets a set() made while a background re-read is under way win over what that read returns', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = new CountingStore(new MemoryStore());
    const cache = tierOn(store, { ttl: 600, memory: { maxEntries: 100, ttl: 10 } });
    try {
      await cache.set('k', 'old');
      vi.setSystemTime(Date.now() + 8_100);
      // The re-read's answer is what memcached held when it was asked ('old'), delivered late.
      const get = store.get.bind(store);
      let deliver = () => {};
      store.get = (key, options) => {
        const read = get(key, options);
        store.get = get;
        return new Promise((resolve) => {
          deliver = () => resolve(read);
        });
      };
      expect(await cache.wrap('k', () => 'loaded')).toBe('old');
      await cache.set('k', 'new');
      deliver();
      await new Promise((resolve) => setImmediate(resolve));
      expect(await cache.wrap('k', () => 'loaded')).toBe('new');
      expect(await cache.get('k')).toBe('new');
    } finally {
      await cache.close();
    }
  });

  it('never serves an entry past its memcached freshness, however long its own ttl', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const cache = tierOn(new MemoryStore(), { ttl: 1, memory: { maxEntries: 100, ttl: 3600 } });
    try {
      let n = 0;
      expect(await cache.wrap('k', () => ++n)).toBe(1);
      expect(await cache.wrap('k', () => ++n)).toBe(1);
      vi.setSystemTime(Date.now() + 1500);
      expect(await cache.wrap('k', () => ++n)).toBe(2);
      expect(cache.stats()).toMatchObject({ loads: 2, memoryHits: 1 });
    } finally {
      await cache.close();
    }
  });

  it('leaves grace to the store: a stale entry is served stale and refreshed once, then the new value hits', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const cache = tierOn(new MemoryStore(), { ttl: 1, grace: 600 });
    try {
      let n = 0;
      await cache.wrap('k', () => ++n);
      vi.setSystemTime(Date.now() + 1500);
      expect(await cache.answer('k', () => ++n)).toMatchObject({ value: 1, source: 'stale' });
      await vi.waitFor(() => expect(cache.stats().backgroundRefreshes).toBe(1));
      expect(await cache.answer('k', () => ++n)).toMatchObject({ value: 2, source: 'hit' });
      expect(cache.stats()).toMatchObject({ loads: 2, staleHits: 1, memoryHits: 1 });
    } finally {
      await cache.close();
    }
  });

  it('runs XFetch on memory hits as on store hits', async () => {
    const cache = tierOn(new MemoryStore(), { ttl: 1, beta: 100 });
    vi.spyOn(Math, 'random').mockReturnValue(1e-9); // -ln(random) ≈ 21: any cost refreshes early
    try {
      let n = 0;
      await cache.wrap('k', async () => {
        await sleep(5);
        return ++n;
      });
      expect(await cache.wrap('k', () => ++n)).toBe(1);
      expect(cache.stats().memoryHits).toBe(1);
      await vi.waitFor(() => expect(cache.stats().backgroundRefreshes).toBe(1));
      expect(n).toBe(2);
    } finally {
      vi.restoreAllMocks();
      await cache.close();
    }
  });

  it('set() and delete() in this process reach the tier at once', async () => {
    const cache = tierOn(new MemoryStore());
    try {
      expect(await cache.wrap('k', () => 'loaded')).toBe('loaded');
      await cache.set('k', 'written');
      expect(await cache.wrap('k', () => 'reloaded')).toBe('written');
      expect(cache.stats().memoryHits).toBe(1);
      await cache.delete('k');
      expect(await cache.wrap('k', () => 'reloaded')).toBe('reloaded');
    } finally {
      await cache.close();
    }
  });

  it('a set() that could not be stored leaves nothing of the old value in the tier', async () => {
    const cache = tierOn(new MemoryStore(), { maxValueBytes: 64 });
    try {
      await cache.wrap('k', () => 'small');
      expect(await cache.set('k', 'x'.repeat(200))).toBe(false);
      expect(await cache.wrap('k', () => 'reloaded')).toBe('small'); // memcached's, read again
      expect(cache.stats().memoryHits).toBe(0);
    } finally {
      await cache.close();
    }
  });

  it('another cache over the same store sees a set() after the tier’s ttl, this one at once', async () => {
    const shared = new MemoryStore();
    const a = tierOn(shared, { memory: { maxEntries: 100, ttl: 0.1 } });
    const b = tierOn(shared, { memory: { maxEntries: 100, ttl: 0.1 } });
    try {
      await a.set('k', 'old');
      expect(await b.wrap('k', () => 'loaded')).toBe('old');
      await a.set('k', 'new');
      expect(await a.wrap('k', () => 'loaded')).toBe('new');
      await sleep(250);
      expect(await b.wrap('k', () => 'loaded')).toBe('new');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('holds at most maxEntries, least recently used out first', async () => {
    const store = new CountingStore(new MemoryStore());
    const cache = tierOn(store, { memory: { maxEntries: 2 } });
    try {
      for (const key of ['a', 'b', 'c']) await cache.wrap(key, () => key);
      const calls = store.calls;
      await cache.wrap('c', () => 'x');
      await cache.wrap('b', () => 'x');
      expect(store.calls).toBe(calls);
      expect(await cache.wrap('a', () => 'x')).toBe('a');
      expect(store.calls).toBe(calls + 1);
    } finally {
      await cache.close();
    }
  });

  it('does not hold an entry larger than maxBytes', async () => {
    const store = new CountingStore(new MemoryStore());
    const cache = tierOn(store, { memory: { maxEntries: 100, maxBytes: 100 } });
    try {
      await cache.wrap('small', () => 's');
      await cache.wrap('big', () => 'b'.repeat(500));
      const calls = store.calls;
      await cache.wrap('small', () => 'x');
      expect(store.calls).toBe(calls);
      expect(await cache.wrap('big', () => 'x')).toBe('b'.repeat(500));
      expect(store.calls).toBe(calls + 1);
    } finally {
      await cache.close();
    }
  });

  it('still validates calls, and tells the recorder of memory hits', async () => {
    const requests: string[] = [];
    const recorder = { recordRequest: (key: string) => requests.push(key), recordCost: () => {} };
    const cache = tierOn(new MemoryStore(), { recorder });
    try {
      await cache.wrap('k', () => 1);
      expect(await cache.wrap('k', () => 2)).toBe(1);
      expect(cache.stats().memoryHits).toBe(1);
      expect(requests).toEqual(['k', 'k']);
      await expect(cache.wrap('', () => 1)).rejects.toMatchObject({
        code: 'E_INVALID_OPTION',
        option: 'key',
      });
      await expect(cache.wrap('k', () => 1, { ttl: -1 })).rejects.toMatchObject({ option: 'wrap().ttl' });
    } finally {
      await cache.close();
    }
  });

  it('answerSync() answers what the tier holds in the same turn, as answer() would, and nothing else', async () => {
    const store = new CountingStore(new MemoryStore());
    const requests: string[] = [];
    const recorder = { recordRequest: (key: string) => requests.push(key), recordCost: () => {} };
    const cache = tierOn(store, { recorder });
    const tiers: string[] = [];
    cache.on('hit', (e) => tiers.push(e.tier));
    try {
      expect(cache.answerSync('k', () => 1)).toBeUndefined(); // not held: answer() reads the store
      const loaded = await cache.answer('k', () => ({ n: 1 }));
      const calls = store.calls;
      const held = cache.answerSync('k', () => ({ n: 2 }));
      expect(held).toEqual({ value: { n: 1 }, source: 'hit', freshUntil: loaded.freshUntil });
      expect(held).toEqual(await cache.answer('k', () => ({ n: 3 })));
      expect(store.calls).toBe(calls);
      expect(cache.stats()).toMatchObject({ loads: 1, hits: 2, memoryHits: 2 });
      expect(tiers).toEqual(['memory', 'memory']);
      expect(requests).toEqual(['k', 'k', 'k']);
      await cache.delete('k');
      expect(cache.answerSync('k', () => 1)).toBeUndefined();
    } finally {
      await cache.close();
    }
  });

  it('answerSync() is undefined with the tier off, and throws what answer() rejects with', async () => {
    const off = createCache({ store: new MemoryStore(), safeMode: 'off' });
    const on = tierOn(new MemoryStore());
    try {
      await off.wrap('k', () => 1);
      expect(off.answerSync('k', () => 2)).toBeUndefined(); // a store hit is answer()'s
      await on.wrap('k', () => 1);
      expect(() => on.answerSync('k', () => 1, { ttl: -1 })).toThrow(
        expect.objectContaining({ code: 'E_INVALID_OPTION', option: 'wrap().ttl' }),
      );
      expect(() => on.answerSync('k', 'no loader' as never)).toThrow(
        expect.objectContaining({ code: 'E_INVALID_OPTION', option: 'loader' }),
      );
    } finally {
      await off.close();
      await on.close();
    }
    expect(() => on.answerSync('k', () => 1)).toThrow(expect.objectContaining({ code: 'E_CLOSED' }));
  });

  it('answerSync() runs XFetch like any hit: the loader it is given refreshes early in the background', async () => {
    const cache = tierOn(new MemoryStore(), { ttl: 1, beta: 100 });
    vi.spyOn(Math, 'random').mockReturnValue(1e-9); // -ln(random) ≈ 21: any cost refreshes early
    try {
      await cache.wrap('k', async () => {
        await sleep(5);
        return 'first';
      });
      expect(cache.answerSync('k', () => 'refreshed')?.value).toBe('first');
      await vi.waitFor(() => expect(cache.stats().backgroundRefreshes).toBe(1));
      await vi.waitFor(async () => expect(await cache.get('k')).toBe('refreshed'));
    } finally {
      vi.restoreAllMocks();
      await cache.close();
    }
  });

  it('is shown by the Prometheus exporter', async () => {
    const registry = new Registry();
    const cache = tierOn(new MemoryStore());
    registerCacheMetrics(cache, { name: 'c', registry });
    try {
      await cache.wrap('k', () => 1);
      await cache.wrap('k', () => 1);
      const text = await registry.metrics();
      expect(text).toContain('stampede_guard_memory_hits_total{cache="c"} 1');
      expect(text).toContain('stampede_guard_hits_total{cache="c"} 1');
    } finally {
      await cache.close();
    }
  });

  it.each([
    [{}, 'memory.maxEntries'],
    [{ maxEntries: 0 }, 'memory.maxEntries'],
    [{ maxEntries: 10, maxBytes: 0 }, 'memory.maxBytes'],
    [{ maxEntries: 10, ttl: 0 }, 'memory.ttl'],
    [{ maxEntries: 10, ttl: null }, 'memory.ttl'],
    [{ maxEntries: 10, size: 1 }, 'memory.size'],
    ['on', 'memory'],
  ])('rejects memory: %j naming %s', (memory, name) => {
    const create = () => createCache({ store: new MemoryStore(), memory: memory as CacheOptions['memory'] });
    expect(create).toThrow(expect.objectContaining({ code: 'E_INVALID_OPTION', option: name }));
  });
});
