/**
 * Unit tests of invalidation over the in-memory store (which has memcached's CAS semantics): soft and
 * hard purges, refresh, tags, and the race of a load in flight with an invalidation. Two caches sharing
 * one MemoryStore stand in for two processes; test/integration/invalidation*.test.ts does it for real.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  type Cache,
  type CacheOptions,
  createCache,
  type LoaderContext,
  MemoryStore,
} from '../../src/index.js';
import { toStoreKey } from '../../src/keys.js';
import { ChaosStore } from '../support/chaos-store.js';
import { deferred, sleep } from '../support/deferred.js';

const make = (store: MemoryStore, options: CacheOptions = {}): Cache =>
  createCache({ store, namespace: 't', safeMode: 'always', pollMinMs: 2, pollMaxMs: 10, ...options });

/** A "database" row and a loader that reads it when it starts and answers when released. */
function slowRow(initial: string) {
  const row = { value: initial };
  let gate = deferred();
  const started = vi.fn();
  const loader = async () => {
    const seen = row.value;
    started();
    await gate.promise;
    return seen;
  };
  const release = () => {
    gate.resolve();
    gate = deferred();
  };
  return { row, loader, started, release };
}

async function whenCalled(fn: ReturnType<typeof vi.fn>, times = 1): Promise<void> {
  while (fn.mock.calls.length < times) await sleep(1);
}

describe('the race of a load in flight with an invalidation', () => {
  // A purge of the key makes the load's conditional store fail; a tag invalidation lets it store an
  // entry stamped with the tag's old version, which is never fresh.
  const invalidations: Array<[string, (cache: Cache, tag: string) => Promise<unknown>, number]> = [
    ['delete', (cache) => cache.delete('k'), 1],
    ['set', (cache) => cache.set('k', 'new'), 1],
    ['invalidate', (cache) => cache.invalidate('k'), 1],
    ['invalidateTags', (cache, tag) => cache.invalidateTags([tag]), 0],
  ];

  it.each(invalidations)(
    'never lets a load that began before %s() store what it read',
    async (_, invalidate, supersededWrites) => {
      const store = new MemoryStore();
      const [loading, writer] = [make(store), make(store)];
      const db = slowRow('old');
      const superseded = vi.fn();
      loading.on('write:superseded', superseded);
      const inFlight = loading.answer('k', db.loader, { tags: ['row'] });
      await whenCalled(db.started);
      db.row.value = 'new';
      await invalidate(writer, 'row');
      db.release();
      expect((await inFlight).value).toBe('old'); // its own caller gets what it loaded
      expect(superseded).toHaveBeenCalledTimes(supersededWrites);
      const next = await writer.answer('k', async () => db.row.value, { tags: ['row'] });
      expect(next.value).toBe('new');
    },
  );

  it('never lets a grace background refresh that began before an invalidation store what it read', async () => {
    const store = new MemoryStore();
    const options = { ttl: 0.05, grace: 30 };
    const [reader, writer] = [make(store, options), make(store, options)];
    await reader.set('k', 'old', { ttl: 0.05 });
    await sleep(80);
    const db = slowRow('old');
    expect(await reader.answer('k', db.loader)).toMatchObject({ value: 'old', source: 'stale' });
    await whenCalled(db.started);
    db.row.value = 'new';
    await writer.delete('k');
    db.release();
    await reader.close();
    expect(await writer.answer('k', async () => db.row.value)).toMatchObject({
      value: 'new',
      source: 'loaded',
    });
  });

  it('lets a load store when nothing was invalidated, and when the key was absent at its start', async () => {
    const store = new MemoryStore();
    const cache = make(store);
    expect(await cache.wrap('k', () => 'v')).toBe('v');
    expect(await cache.answer('k', () => 'other')).toMatchObject({ value: 'v', source: 'hit' });
    expect(cache.stats().supersededWrites).toBe(0);
  });

  it('does not store a load of an absent key that outlived markerTtl (a marker may have come and gone)', async () => {
    const store = new MemoryStore();
    const cache = make(store, { lockTtl: 1, markerTtl: 1 });
    const superseded = vi.fn();
    cache.on('write:superseded', superseded);
    await cache.wrap('k', async () => {
      await sleep(1050);
      return 'slow';
    });
    expect(superseded).toHaveBeenCalledWith(expect.objectContaining({ reason: 'too-long' }));
    expect(await store.get(toStoreKey('t', 'k'))).toBeNull();
  });
});

describe('a load after memcached failed (degraded)', () => {
  it('stores by add only, in the background: never over a purge marker or a value written meanwhile', async () => {
    const memory = new MemoryStore();
    const chaos = new ChaosStore(memory);
    const [cache, writer] = [make(memory, { safeMode: 'off' }), make(memory)];
    const degraded = createCache({ store: chaos, namespace: 't', safeMode: 'off' });
    chaos.inject('fail', 'get');
    expect(await degraded.wrap('absent', () => 'loaded')).toBe('loaded');
    chaos.heal();
    await degraded.close(); // waits for the deferred write
    expect(await cache.get('absent')).toBe('loaded');

    const db = slowRow('old');
    const again = createCache({ store: chaos, namespace: 't', safeMode: 'off' });
    chaos.inject('fail', 'get');
    const loading = again.wrap('purged', db.loader);
    await whenCalled(db.started);
    chaos.heal();
    await writer.delete('purged');
    db.release();
    expect(await loading).toBe('old');
    await again.close();
    expect(await cache.get('purged')).toBeUndefined();
  });
});

describe('invalidate() and delete()', () => {
  it('soft purge: stale within grace at once, one refresh, then the new value', async () => {
    const store = new MemoryStore();
    const cache = make(store, { grace: 30 });
    await cache.wrap('k', () => 'old');
    expect(await cache.invalidate('k')).toBe(true);
    const loader = vi.fn(async () => {
      await sleep(30);
      return 'new';
    });
    const answers = await Promise.all(Array.from({ length: 20 }, () => cache.answer('k', loader)));
    expect(answers.every((a) => a.value === 'old' && a.source === 'stale')).toBe(true);
    await cache.close();
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await make(store).answer('k', () => 'x')).toMatchObject({ value: 'new', source: 'hit' });
  });

  it('soft purge without grace is a miss, and of an absent key leaves a marker', async () => {
    const store = new MemoryStore();
    const cache = make(store);
    await cache.wrap('k', () => 'old');
    await cache.invalidate('k');
    expect(await cache.get('k')).toBeUndefined();
    expect(await cache.invalidate('absent')).toBe(false);
    expect(await store.get(toStoreKey('t', 'absent'))).not.toBeNull(); // the marker
    expect(await cache.wrap('absent', () => 'loaded')).toBe('loaded');
  });

  it('hard purge reads as absent at once, even within grace, and says whether an entry existed', async () => {
    const store = new MemoryStore();
    const cache = make(store, { grace: 30 });
    await cache.wrap('k', () => 'old');
    expect(await cache.delete('k')).toBe(true);
    expect(await cache.delete('k')).toBe(false); // a marker is no entry
    expect(await cache.answer('k', () => 'new')).toMatchObject({ value: 'new', source: 'loaded' });
  });

  it('clears the memory tier of this process on every invalidation', async () => {
    const store = new MemoryStore();
    const cache = make(store, { memory: { maxEntries: 10, ttl: 60 } });
    for (const invalidate of [() => cache.invalidate('k'), () => cache.delete('k')]) {
      await cache.wrap('k', () => 'old');
      expect(await cache.answer('k', () => 'x')).toMatchObject({ value: 'old', source: 'hit' });
      await invalidate();
      expect(await cache.answer('k', () => 'new')).toMatchObject({ value: 'new', source: 'loaded' });
      await cache.delete('k');
    }
    expect(cache.stats().invalidations).toBe(4);
  });
});

describe('tags', () => {
  it('invalidates every entry carrying a tag, in calls that do not grow with their number', async () => {
    const store = new MemoryStore();
    const cache = make(store, { safeMode: 'off' });
    const product = cache.cached('product', async (id: number) => `p${id}-v1`, {
      tags: (id) => ['products', `p${id}`],
    });
    await Promise.all(Array.from({ length: 200 }, (_, i) => product(i)));
    const calls = vi.spyOn(store, 'set');
    const casCalls = vi.spyOn(store, 'setIfCas');
    await cache.invalidateTags(['products']);
    expect(calls.mock.calls.length + casCalls.mock.calls.length).toBeLessThanOrEqual(2);
    const fresh = await Promise.all(Array.from({ length: 200 }, (_, i) => cache.peek(`product:[${i}]`)));
    expect(fresh.every((a) => a === undefined)).toBe(true);
  });

  it('soft: stale within grace while one refresh runs; hard: not served at all', async () => {
    const store = new MemoryStore();
    const cache = make(store, { grace: 30 });
    await cache.wrap('a', () => 'a1', { tags: ['t'] });
    await cache.invalidateTags(['t']);
    expect(await cache.answer('a', () => 'a2', { tags: ['t'] })).toMatchObject({
      value: 'a1',
      source: 'stale',
    });
    await cache.close();
    const again = make(store, { grace: 30 });
    expect(await again.answer('a', () => 'a3', { tags: ['t'] })).toMatchObject({
      value: 'a2',
      source: 'hit',
    });
    await again.invalidateTags(['t'], { hard: true });
    expect(await again.answer('a', () => 'a4', { tags: ['t'] })).toMatchObject({
      value: 'a4',
      source: 'loaded',
    });
  });

  it('judges an entry by the tags it carries, whether or not the reading call names them', async () => {
    const store = new MemoryStore();
    const cache = make(store);
    await cache.wrap('k', () => 'v1', { tags: ['t'] });
    expect(await cache.get('k')).toBe('v1');
    await cache.invalidateTags(['t']);
    expect(await cache.get('k')).toBeUndefined();
    expect(await cache.wrap('k', () => 'v2')).toBe('v2');
  });

  it('reads the entry and the epoch in the same tick, and no tag while the epoch stays (one round trip)', async () => {
    const store = new MemoryStore();
    const cache = make(store);
    await cache.wrap('k', () => 'v', { tags: ['a', 'b'] });
    const order: string[] = [];
    const get = store.get.bind(store);
    vi.spyOn(store, 'get').mockImplementation(async (key) => {
      order.push(`call ${key}`);
      const value = await get(key);
      order.push(`answer ${key}`);
      return value;
    });
    const hit = () => cache.answer('k', () => 'x', { tags: ['a', 'b'] });
    expect(await hit()).toMatchObject({ source: 'hit' }); // no epoch yet: tags read, an epoch added
    expect(await hit()).toMatchObject({ source: 'hit' }); // the epoch seen: tags read and kept
    order.length = 0;
    expect(await hit()).toMatchObject({ source: 'hit' });
    expect(order).toEqual([
      'call tag-t:',
      `call ${toStoreKey('t', 'k')}`,
      'answer tag-t:',
      `answer ${toStoreKey('t', 'k')}`,
    ]);
  });

  it('confirms by a read a kept tag state that calls an entry stale (a tag created again without an invalidation)', async () => {
    const store = new MemoryStore();
    const cache = make(store);
    const loads = vi.fn(() => 'v');
    await cache.wrap('old', loads, { tags: ['t'] });
    for (let i = 0; i < 2; i++) await cache.wrap('old', loads, { tags: ['t'] }); // the tag's state is kept
    await store.delete('tag-t:t'); // evicted: the next load creates the tag again, the epoch stays
    await cache.wrap('new', loads, { tags: ['t'] });
    expect(loads).toHaveBeenCalledTimes(2);
    expect(await cache.answer('new', loads, { tags: ['t'] })).toMatchObject({ source: 'hit' });
    expect(loads).toHaveBeenCalledTimes(2);
  });

  it('never keeps a tagged entry in the memory tier', async () => {
    const store = new MemoryStore();
    const [cache, other] = [make(store, { memory: { maxEntries: 10, ttl: 60 } }), make(store)];
    await cache.wrap('k', () => 'v1', { tags: ['t'] });
    expect(await cache.wrap('k', () => 'x', { tags: ['t'] })).toBe('v1');
    await other.invalidateTags(['t']);
    expect(await cache.wrap('k', () => 'v2', { tags: ['t'] })).toBe('v2');
    expect(cache.stats().memoryHits).toBe(0);
  });

  it('stores a loader-named tag unless some tag moved during the load', async () => {
    const store = new MemoryStore();
    const [cache, writer] = [make(store), make(store)];
    const gate = deferred();
    const loading = cache.wrap('page', async (ctx: LoaderContext) => {
      await gate.promise;
      ctx.addTags(['late']);
      return 'v1';
    });
    await sleep(5);
    await writer.invalidateTags(['unrelated']);
    gate.resolve();
    expect(await loading).toBe('v1');
    expect(await cache.get('page')).toBeUndefined(); // not stored: 'late' may have moved too
    await cache.wrap('page', (ctx) => {
      ctx.addTags(['late']);
      return 'v2';
    });
    expect(await cache.get('page')).toBe('v2');
    await writer.invalidateTags(['late']);
    expect(await cache.get('page')).toBeUndefined();
  });

  it('refuses bad tags naming the option', async () => {
    const cache = make(new MemoryStore());
    await expect(cache.wrap('k', () => 1, { tags: [''] })).rejects.toMatchObject({ option: 'wrap().tags' });
    await expect(cache.invalidateTags(['\ud800'])).rejects.toMatchObject({ option: 'tags' });
    expect(() => cache.cached('f', () => 1, { tags: 'x' as never })).toThrow(/cached\(\)\.tags/);
    await expect(cache.invalidateTags(['t'], { hard: 1 as never })).rejects.toMatchObject({
      option: 'invalidateTags().hard',
    });
  });
});

describe('refresh()', () => {
  it('keeps serving the old value until the new one lands, and coalesces refreshes asked together', async () => {
    const store = new MemoryStore();
    const cache = make(store);
    await cache.wrap('k', () => 'old');
    const gate = deferred();
    const loader = vi.fn(async () => {
      await gate.promise;
      return 'new';
    });
    const refreshes = [cache.refresh('k', loader), cache.refresh('k', loader)];
    await sleep(10);
    expect(await cache.answer('k', () => 'x')).toMatchObject({ value: 'old', source: 'hit' });
    gate.resolve();
    expect(await Promise.all(refreshes)).toEqual(['new', 'new']);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await cache.answer('k', () => 'x')).toMatchObject({ value: 'new', source: 'hit' });
  });

  it('runs again after a refresh whose loader had begun, and reuses the last loader when none is given', async () => {
    const store = new MemoryStore();
    const cache = make(store);
    const db = slowRow('v1');
    const first = cache.refresh('k', db.loader);
    await whenCalled(db.started);
    db.row.value = 'v2';
    const second = cache.refresh('k');
    db.release();
    expect(await first).toBe('v1');
    await whenCalled(db.started, 2);
    db.release();
    expect(await second).toBe('v2');
    expect(await cache.get('k')).toBe('v2');
  });

  it('rejects without a loader for a key this process never loaded', async () => {
    const cache = make(new MemoryStore());
    await expect(cache.refresh('never')).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      option: 'loader',
    });
  });
});
