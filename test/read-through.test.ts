/**
 * Unit tests of the read-through policy over the in-memory store. Two caches sharing one MemoryStore
 * stand in for two processes here only to exercise the policy; the cross-process guarantees are tested
 * with real memcached and real processes in test/integration.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  type Cache,
  type CacheOptions,
  createCache,
  type LoaderContext,
  MemoryStore,
  SerializationError,
  WaitTimeoutError,
} from '../src/index.js';
import { lockKeyOf, toStoreKey } from '../src/keys.js';
import type { Store } from '../src/store/store.js';
import { ChaosStore } from './support/chaos-store.js';
import { CountingStore } from './support/counting-store.js';
import { concurrencyProbe, deferred, sleep } from './support/deferred.js';

const lockOf = (key: string) => lockKeyOf(toStoreKey('t', key));
const make = (store: Store, options: CacheOptions = {}): Cache =>
  createCache({ store, namespace: 't', safeMode: 'always', pollMinMs: 2, pollMaxMs: 10, ...options });

describe('wrap()', () => {
  it('loads once while 100 calls pile up, then serves hits', async () => {
    const cache = make(new MemoryStore());
    const gate = deferred<string>();
    const loader = vi.fn(() => gate.promise);
    const calls = Array.from({ length: 100 }, () => cache.wrap('k', loader));
    gate.resolve('v');
    expect(await Promise.all(calls)).toEqual(new Array(100).fill('v'));
    expect(await cache.wrap('k', loader)).toBe('v');
    expect(loader).toHaveBeenCalledTimes(1);
    expect(cache.stats()).toMatchObject({ loads: 1, coalesced: 99, hits: 1, misses: 1, locksAcquired: 1 });
  });

  it('makes a second cache on the same store wait for the lock holder instead of loading', async () => {
    const store = new MemoryStore();
    const [a, b] = [make(store), make(store)];
    const loader = vi.fn(async () => {
      await sleep(60);
      return 'v';
    });
    const waits: unknown[] = [];
    b.on('wait:done', (e) => waits.push(e.outcome));
    expect(await Promise.all([a.wrap('k', loader), b.wrap('k', loader)])).toEqual(['v', 'v']);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(waits).toEqual(['value']);
  });

  it("with safeMode 'off' takes no lock (each cache loads), unless the call asks for one", async () => {
    const store = new MemoryStore();
    const [a, b] = [make(store, { safeMode: 'off' }), make(store, { safeMode: 'off' })];
    const loader = vi.fn(async () => {
      await sleep(30);
      return 'v';
    });
    await Promise.all([a.wrap('k1', loader), b.wrap('k1', loader)]);
    expect(loader).toHaveBeenCalledTimes(2);
    await Promise.all([a.wrap('k2', loader, { lock: true }), b.wrap('k2', loader, { lock: true })]);
    expect(loader).toHaveBeenCalledTimes(3);
  });

  it('gives a loader error to every joiner, caches nothing, and releases the lock at once', async () => {
    const store = new MemoryStore();
    const cache = make(store);
    const gate = deferred<string>();
    const calls = Array.from({ length: 10 }, () => cache.wrap('k', () => gate.promise));
    await sleep(5);
    expect(await store.get(lockOf('k'))).not.toBeNull();
    gate.reject(new Error('db down'));
    const results = await Promise.allSettled(calls);
    expect(results.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'db down')).toBe(
      true,
    );
    expect(await store.get(lockOf('k'))).toBeNull();
    expect(await store.get(toStoreKey('t', 'k'))).toBeNull();
    expect(await cache.wrap('k', () => 'second')).toBe('second');
  });

  it('re-reads under the lock, so a value stored just before the lock was won is not loaded again', async () => {
    const store = new MemoryStore();
    const writer = make(store);
    // The first read misses, but its answer arrives late: the value lands before the add; the re-read must find it.
    let reads = 0;
    const slowFirstAnswer = new (class extends CountingStore {
      override async get(key: string) {
        const value = await store.get(key);
        if (reads++ === 0) await sleep(30);
        return value;
      }
    })(store);
    const cache = make(slowFirstAnswer);
    const loader = vi.fn(() => 'loaded');
    const pending = cache.wrap('k', loader);
    await sleep(5);
    await writer.set('k', 'stored-meanwhile');
    expect(await pending).toBe('stored-meanwhile');
    expect(loader).not.toHaveBeenCalled();
  });

  it('extends the lock while a slow loader runs (heartbeat)', async () => {
    const store = new MemoryStore();
    const cache = make(store, { lockTtl: 1 });
    const extended = vi.fn();
    cache.on('lock:extended', extended);
    const pending = cache.wrap('k', async () => {
      await sleep(1700);
      return 'slow';
    });
    await sleep(1300); // past the 1 s TTL: only a heartbeat keeps the lock
    expect(await store.get(lockOf('k'))).not.toBeNull();
    expect(await pending).toBe('slow');
    expect(extended).toHaveBeenCalled();
    expect(await store.get(lockOf('k'))).toBeNull();
  });
});

describe('the load cap (maxConcurrentLoads) in safe mode', () => {
  it('never hangs a loader that waits on another cached call (nested wrap)', async () => {
    const cache = make(new MemoryStore(), { maxConcurrentLoads: 1, waitTimeoutMs: 200 });
    const inner = vi.fn(() => 'inner');
    const started = Date.now();
    const outer = cache.wrap('outer', async () => `outer+${await cache.wrap('inner', inner)}`);
    const result = await Promise.race([outer, sleep(3000).then(() => 'hung')]);
    expect(result).toBe('outer+inner');
    // The outer loader holds the only slot while it waits: the inner load waits its budget, then runs.
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(inner).toHaveBeenCalledTimes(1);
    expect(cache.stats().queuedLoads).toBe(0);
  });

  it('measures a load’s cost without its time in the queue, and counts it running only once it runs', async () => {
    const cache = make(new MemoryStore(), { maxConcurrentLoads: 1 });
    const durations: number[] = [];
    cache.on('load', (e) => durations.push(e.durationMs));
    const gate = deferred<string>();
    const first = cache.wrap('a', () => gate.promise);
    const second = cache.wrap('b', async () => {
      await sleep(10);
      return 'b';
    });
    await sleep(20);
    expect(cache.stats()).toMatchObject({ inflightLoads: 1, queuedLoads: 1 });
    await sleep(60);
    gate.resolve('a');
    expect(await Promise.all([first, second])).toEqual(['a', 'b']);
    expect(durations[0]).toBeGreaterThanOrEqual(70); // the first loader really ran ~80 ms
    expect(durations[1]).toBeLessThan(50); // the second ran ~10 ms, after ~80 ms in the queue
    expect(cache.stats().inflightLoads).toBe(0);
  });

  it('still caps loads that do not depend on each other', async () => {
    const cache = make(new MemoryStore(), { maxConcurrentLoads: 2 });
    const probe = concurrencyProbe();
    const loader = probe.loader;
    const values = await Promise.all(Array.from({ length: 8 }, (_, i) => cache.wrap(`k${i}`, loader(i))));
    expect(values).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(probe.peak()).toBe(2);
  });
});

describe('waiting for another holder', () => {
  const foreignLock = async (store: MemoryStore, key: string, ttl = 30) =>
    store.add(lockOf(key), Buffer.from('someone-else'), ttl);

  it('takes over when the holder’s lock vanishes without a value', async () => {
    const store = new MemoryStore();
    const cache = make(store);
    await foreignLock(store, 'k');
    setTimeout(() => void store.delete(lockOf('k')), 50);
    const outcomes: string[] = [];
    cache.on('wait:done', (e) => outcomes.push(e.outcome));
    expect(await cache.wrap('k', () => 'mine')).toBe('mine');
    expect(outcomes).toEqual(['lock-gone']);
  });

  it('takes the value, not the lock, when the lock it found gone was released after the value was stored', async () => {
    // Waiters of several processes that see the holder's lock gone together used to take the lock in turn,
    // and the losers waited a second time (seen in CI: two waits in one process). The holder writes the value
    // before it deletes its lock, so a waiter reads the value once more first.
    const store = new MemoryStore();
    const holder = make(store);
    const cache = make(store);
    await foreignLock(store, 'k');
    const addWithCas = store.addWithCas.bind(store);
    store.addWithCas = async (key: string, value: Buffer, ttl: number) => {
      const added = await addWithCas(key, value, ttl);
      if (added === null && key === lockOf('k')) {
        // The holder finishes right after our add lost: value first, then its lock.
        await holder.set('k', 'theirs');
        await store.delete(lockOf('k'));
      }
      return added;
    };
    const outcomes: string[] = [];
    cache.on('wait:done', (e) => outcomes.push(e.outcome));
    const loader = vi.fn(() => 'mine');
    expect(await cache.wrap('k', loader)).toBe('theirs');
    expect(loader).not.toHaveBeenCalled();
    expect(outcomes).toEqual(['value']);
    expect(cache.stats().locksAcquired).toBe(0);
  });

  it("onWaitTimeout 'throw' rejects with WaitTimeoutError after the budget", async () => {
    const store = new MemoryStore();
    const cache = make(store, { waitTimeoutMs: 80, onWaitTimeout: 'throw' });
    await foreignLock(store, 'k');
    const error = await cache.wrap('k', () => 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(error).toMatchObject({ code: 'E_WAIT_TIMEOUT', key: 'k' });
    expect((error as WaitTimeoutError).waitedMs).toBeGreaterThanOrEqual(70);
  });

  it('keeps one wait budget across a retry after a reset connection', async () => {
    const store = new MemoryStore();
    const chaos = new ChaosStore(store);
    const cache = make(chaos, { waitTimeoutMs: 300, onWaitTimeout: 'throw' });
    await foreignLock(store, 'k');
    // Mid-wait, one poll meets a reset connection: the read-through starts over (a stale socket broke).
    cache.on('store:error', () => chaos.heal());
    setTimeout(() => chaos.inject('reset', 'get'), 150);
    const started = Date.now();
    const error = await cache.wrap('k', () => 'x').catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(cache.stats().storeErrors).toBe(1);
    // The budget is the caller's: starting over must not start a second one.
    expect(elapsed).toBeLessThan(300 + 100);
    expect((error as WaitTimeoutError).waitedMs).toBeGreaterThanOrEqual(290);
  });

  it("onWaitTimeout 'load' (default) loads after the budget", async () => {
    const store = new MemoryStore();
    const cache = make(store, { waitTimeoutMs: 50 });
    await foreignLock(store, 'k');
    const loader = vi.fn(() => 'fallback');
    expect(await cache.wrap('k', loader)).toBe('fallback');
    expect(loader).toHaveBeenCalledTimes(1);
    expect(cache.stats().waitTimeouts).toBe(1);
  });

  it("onWaitTimeout 'stale' serves a kept stale value", async () => {
    const store = new MemoryStore();
    const cache = make(store, { waitTimeoutMs: 50, onWaitTimeout: 'stale', ttl: 0.05, staleIfError: 60 });
    await cache.set('k', 'old', { ttl: 0.05 });
    await sleep(80);
    await foreignLock(store, 'k');
    const loader = vi.fn(() => 'new');
    expect(await cache.wrap('k', loader)).toBe('old');
    expect(loader).not.toHaveBeenCalled();
  });
});

describe('stale values', () => {
  it('serves a stale value in grace at once while one background refresh runs across caches', async () => {
    const store = new MemoryStore();
    const [a, b] = [make(store, { ttl: 0.05, grace: 60 }), make(store, { ttl: 0.05, grace: 60 })];
    await a.set('k', 'old');
    await sleep(80);
    const gate = deferred<string>();
    const loader = vi.fn(() => gate.promise);
    const served = await Promise.all([
      ...Array.from({ length: 5 }, () => a.wrap('k', loader)),
      b.wrap('k', loader),
    ]);
    expect(served).toEqual(new Array(6).fill('old'));
    await sleep(10);
    expect(loader).toHaveBeenCalledTimes(1);
    gate.resolve('new');
    await vi.waitFor(async () => expect(await b.get('k')).toBe('new'));
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it('reports a failed background refresh as an event, never as an unhandled rejection', async () => {
    const cache = make(new MemoryStore(), { ttl: 0.05, grace: 60 });
    await cache.set('k', 'old');
    await sleep(80);
    const refreshError = deferred<unknown>();
    cache.on('refresh:error', (e) => refreshError.resolve(e.error));
    expect(await cache.wrap('k', () => Promise.reject(new Error('refresh failed')))).toBe('old');
    expect(await refreshError.promise).toMatchObject({ message: 'refresh failed' });
  });

  it('serves the stale value instead of a loader error with staleIfError', async () => {
    const cache = make(new MemoryStore(), { ttl: 0.05, staleIfError: 60 });
    await cache.set('k', 'old');
    await sleep(80);
    const stale = vi.fn();
    cache.on('stale', stale);
    expect(await cache.wrap('k', () => Promise.reject(new Error('db down')))).toBe('old');
    expect(stale).toHaveBeenCalledWith(expect.objectContaining({ reason: 'error' }));
    await expect(
      make(new MemoryStore()).wrap('k', () => Promise.reject(new Error('no stale'))),
    ).rejects.toThrow('no stale');
  });

  it('refreshes early in the background with XFetch when beta is high', async () => {
    const cache = make(new MemoryStore(), { ttl: 10, beta: 100 });
    await cache.wrap('k', async () => {
      await sleep(20);
      return 'v1';
    });
    // XFetch draws -ln(random()): a tiny draw makes 20 ms x 100 x 20.7 = 41 s reach past the 10 s freshness.
    vi.spyOn(Math, 'random').mockReturnValue(1e-9);
    const done = deferred<void>();
    cache.on('refresh:done', () => done.resolve());
    expect(await cache.wrap('k', () => 'v2')).toBe('v1'); // still fresh: served, refreshed behind
    await done.promise;
    vi.restoreAllMocks();
    expect(await cache.get('k')).toBe('v2');
  });
});

describe('failures of the cache itself', () => {
  it('degrades to loading directly when memcached fails, and reports it', async () => {
    const chaos = new ChaosStore(new MemoryStore());
    const cache = make(chaos);
    chaos.inject('fail');
    const errors: string[] = [];
    cache.on('store:error', (e) => errors.push(e.operation));
    expect(await cache.wrap('k', () => 'direct')).toBe('direct');
    expect(errors[0]).toBe('get');
    chaos.heal();
    expect(await cache.wrap('k', () => 'again')).toBe('again');
    expect(await cache.wrap('k', () => 'not called')).toBe('again');
  });

  it('reports a failed re-read under the lock, and loads', async () => {
    const chaos = new ChaosStore(new MemoryStore());
    const cache = make(chaos);
    cache.on('miss', () => chaos.inject('fail', 'get')); // the read under the lock (sent with the add) fails
    const errors: string[] = [];
    cache.on('store:error', (e) => {
      errors.push(e.operation);
      chaos.heal();
    });
    expect(await cache.wrap('k', () => 'loaded')).toBe('loaded');
    expect(errors).toEqual(['get']);
    expect(cache.stats().storeErrors).toBe(1);
  });

  it('returns a value too large to store, stores nothing, and says so', async () => {
    const store = new MemoryStore();
    const cache = make(store, { maxValueBytes: 1000 });
    const events: unknown[] = [];
    cache.on('value:too-large', (e) => events.push(e));
    const big = 'x'.repeat(5000);
    expect(await cache.wrap('big', () => big)).toBe(big);
    expect(await store.get(toStoreKey('t', 'big'))).toBeNull();
    expect(events).toEqual([expect.objectContaining({ key: 'big', limit: 1000 })]);
  });

  it('rejects a value that cannot be serialized with a clear SerializationError', async () => {
    const cache = make(new MemoryStore());
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const error = await cache.wrap('c', () => circular).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SerializationError);
    expect(error).toMatchObject({ code: 'E_SERIALIZE', key: 'c' });
    await expect(cache.set('b', 1n)).rejects.toThrow(/BigInt/);
  });

  it('treats an item written by something else as a miss', async () => {
    const store = new MemoryStore();
    const cache = make(store);
    await store.set(toStoreKey('t', 'k'), Buffer.from('raw bytes'), 60);
    const corrupt = vi.fn();
    cache.on('value:corrupt', corrupt);
    expect(await cache.wrap('k', () => 'reloaded')).toBe('reloaded');
    expect(corrupt).toHaveBeenCalledWith(expect.objectContaining({ key: 'k' }));
    expect(await cache.wrap('k', () => 'not called')).toBe('reloaded');
  });

  it('keeps serving when the recorder throws', async () => {
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const recorder = {
      recordRequest: () => {
        throw new Error('bad recorder');
      },
      recordCost: () => {
        throw new Error('bad recorder cost');
      },
    };
    const cache = make(new MemoryStore(), { recorder });
    expect(await cache.wrap('k', () => 'v')).toBe('v');
    expect(await cache.wrap('k', () => 'not called')).toBe('v'); // a hit reports the stored cost
    expect(warning).toHaveBeenCalledWith(expect.stringContaining('bad recorder'), 'StampedeGuardWarning');
    expect(warning).toHaveBeenCalledWith(
      expect.stringContaining('bad recorder cost'),
      'StampedeGuardWarning',
    );
    warning.mockRestore();
  });

  it('keeps working when an event listener throws', async () => {
    const cache = make(new MemoryStore());
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    cache.on('lock:acquired', () => {
      throw new Error('bad listener');
    });
    expect(await cache.wrap('k', () => 'v')).toBe('v');
    expect(warning).toHaveBeenCalled();
    warning.mockRestore();
  });
});

describe('cached(), get/set/delete, close', () => {
  it('keys a wrapped function by name and arguments', async () => {
    const cache = make(new MemoryStore());
    const load = vi.fn(async (id: number, opts: { full: boolean }) => `${id}:${opts.full}`);
    const getUser = cache.cached('user', load, { ttl: 300 });
    expect(
      await Promise.all([
        getUser(1, { full: true }),
        getUser(1, { full: true }),
        getUser(2, { full: false }),
      ]),
    ).toEqual(['1:true', '1:true', '2:false']);
    expect(load).toHaveBeenCalledTimes(2);
    expect(await cache.get('user:[1,{"full":true}]')).toBe('1:true');
  });

  it('never serves one argument’s value to another whose JSON looks the same', async () => {
    const cache = make(new MemoryStore());
    const fetchPage = cache.cached('page', async (url: URL) => url.pathname);
    expect(await fetchPage(new URL('https://a.example/one'))).toBe('/one');
    expect(await fetchPage(new URL('https://a.example/two'))).toBe('/two');
    const byTags = cache.cached('tags', async (tags: Set<string>) => [...tags]);
    await expect(byTags(new Set(['a']))).rejects.toThrow(/`key` option/);
  });

  it('sets, gets and deletes', async () => {
    const cache = make(new MemoryStore());
    expect(await cache.get('k')).toBeUndefined();
    expect(await cache.set('k', { a: 1 })).toBe(true);
    expect(await cache.get('k')).toEqual({ a: 1 });
    expect(await cache.delete('k')).toBe(true);
    expect(await cache.get('k')).toBeUndefined();
  });

  it('waits for work in flight on close, then refuses new calls', async () => {
    const cache = make(new MemoryStore());
    const pending = cache.wrap('k', async () => {
      await sleep(20);
      return 'v';
    });
    await cache.close();
    expect(await pending).toBe('v');
    await expect(cache.wrap('k', () => 'x')).rejects.toMatchObject({ code: 'E_CLOSED' });
    await cache.close();
  });
});

describe('close()', () => {
  it('resolves every close() call only once the cache is closed', async () => {
    const store = new MemoryStore();
    const cache = make(store);
    let settled = false;
    const pending = cache.wrap('k', async () => {
      await sleep(30);
      return 'v';
    });
    void pending.then(() => {
      settled = true;
    });
    const first = cache.close();
    await cache.close(); // a second shutdown hook, say
    expect(settled).toBe(true);
    expect(store.size).toBe(1); // the store passed in stays open: whoever created it closes it
    await first;
  });
});

describe('the loader context and the warmup seam', () => {
  it('lets a loader shorten the TTL or refuse storage; the value still reaches its callers', async () => {
    const store = new MemoryStore();
    const cache = make(store, { ttl: 60 });
    expect(
      await cache.wrap('short', (ctx) => {
        ctx.setTtl(0.05);
        return 's';
      }),
    ).toBe('s');
    await sleep(80);
    expect(await cache.get('short')).toBeUndefined();
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        cache.wrap('private', (ctx) => {
          ctx.noStore();
          return 'p';
        }),
      ),
    );
    expect(results).toEqual(['p', 'p', 'p']);
    expect(await store.get(toStoreKey('t', 'private'))).toBeNull();
    await expect(cache.wrap('bad', (ctx) => ctx.setTtl(-1))).rejects.toThrow(/`setTtl\(\)`/);
  });

  it('lets a loader say noStale(): the value lives its TTL only, whatever grace, staleIfError and beta', async () => {
    const store = new MemoryStore();
    const cache = make(store, { ttl: 60, grace: 600, staleIfError: 600, beta: 100 });
    const stale = vi.fn();
    const refreshes = vi.fn();
    cache.on('stale', stale);
    cache.on('refresh:done', refreshes);
    const loads: boolean[] = [];
    const marker = (ctx: LoaderContext) => {
      loads.push(ctx.background);
      ctx.setTtl(0.05);
      ctx.noStale();
      return `m${loads.length}`;
    };
    expect(await cache.wrap('k', marker)).toBe('m1');
    const storeKey = toStoreKey('t', 'k');
    const bytes = await store.get(storeKey);
    // memcached keeps an item up to its next second: keep this one long past its freshness too.
    await store.set(storeKey, bytes as Buffer, 60);
    vi.spyOn(Math, 'random').mockReturnValue(1e-9); // XFetch would refresh any other entry now
    expect(await cache.wrap('k', marker)).toBe('m1'); // fresh: a hit, not refreshed early
    vi.restoreAllMocks();
    await sleep(80);
    expect(await cache.get('k')).toBeUndefined();
    expect(await cache.wrap('k', marker)).toBe('m2'); // past its TTL: a miss, loaded by this call
    await store.set(storeKey, (await store.get(storeKey)) as Buffer, 60);
    await sleep(80);
    await expect(cache.wrap('k', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    await sleep(20);
    expect(loads).toEqual([false, false]);
    expect(stale).not.toHaveBeenCalled();
    expect(refreshes).not.toHaveBeenCalled();
  });

  it('tells a loader whether it runs in the background (the caller was answered already)', async () => {
    const cache = make(new MemoryStore(), { ttl: 0.05, grace: 60 });
    const seen: boolean[] = [];
    const loader = (ctx: { background: boolean }) => {
      seen.push(ctx.background);
      return 'v';
    };
    await cache.wrap('k', loader);
    await sleep(80);
    await cache.wrap('k', loader); // stale in grace: answered, refreshed behind
    await vi.waitFor(() => expect(seen).toEqual([false, true]));
  });

  it('tells the recorder every request, how to replay cached() calls, and what loads cost', async () => {
    const requests: unknown[] = [];
    const costs: Array<[string, number]> = [];
    const cache = make(new MemoryStore(), {
      recorder: {
        recordRequest: (key, replay) => requests.push([key, replay]),
        recordCost: (k, c) => costs.push([k, c]),
      },
    });
    const getUser = cache.cached('user', async (id: number) => {
      await sleep(15);
      return { id };
    });
    await Promise.all([getUser(1), getUser(1)]);
    await getUser(1);
    await cache.wrap('plain', () => 1);
    expect(requests).toEqual([
      ['user:[1]', { kind: 'loader', name: 'user', args: [1] }],
      ['user:[1]', { kind: 'loader', name: 'user', args: [1] }],
      ['user:[1]', { kind: 'loader', name: 'user', args: [1] }],
      ['plain', undefined],
    ]);
    // Once from the load, once from the hit (the entry carries the cost for processes that never loaded).
    expect(costs.filter(([k]) => k === 'user:[1]')).toHaveLength(2);
    expect(costs[0]?.[1]).toBeGreaterThanOrEqual(10);
    expect(() => make(new MemoryStore(), { recorder: {} as never })).toThrow(/`recorder`/);
  });
});
