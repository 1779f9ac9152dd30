/**
 * Loaders that cannot hang their callers (issue 14, part 2), over the in-memory store: joiners bounded by
 * their wait budget, `hardTimeoutMs` and `ctx.signal`, `loadTimeoutMs` with a stale value, loaders that
 * ask for their own key, and a bounded `close()`. The cross-process side: test/integration/hung-loader.test.ts.
 * Bounds on time here are generous upper bounds proving "does not hang", never speed.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  type Cache,
  type CacheOptions,
  createCache,
  type LoaderContext,
  LoadTimeoutError,
  MemoryStore,
  RecursiveLoadError,
  WaitTimeoutError,
} from '../src/index.js';
import { lockKeyOf, toStoreKey } from '../src/keys.js';
import { sleep } from './support/deferred.js';

const make = (store: MemoryStore, options: CacheOptions = {}): Cache =>
  createCache({ store, namespace: 't', safeMode: 'always', pollMinMs: 2, pollMaxMs: 10, ...options });
const never = () => new Promise<never>(() => {});
const lockOf = (key: string) => lockKeyOf(toStoreKey('t', key));

/** Settles `promise` or fails the test after `ms` (a hang shows as this error, not as a test timeout). */
async function within<T>(ms: number, promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ status: 'fulfilled' as const, value }),
        (reason: unknown) => ({ status: 'rejected' as const, reason }),
      ),
      hung,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('in-process joiners of a loader that never settles', () => {
  it("give up after their waitTimeoutMs and, with 'throw', reject with WaitTimeoutError", async () => {
    const cache = make(new MemoryStore(), { waitTimeoutMs: 60, onWaitTimeout: 'throw', closeTimeoutMs: 50 });
    const leader = cache.wrap('k', never);
    const joiners = Array.from({ length: 5 }, () => cache.wrap('k', never));
    const settled = await within(3000, Promise.allSettled(joiners));
    expect(settled.status).toBe('fulfilled');
    const outcomes = (settled as PromiseFulfilledResult<PromiseSettledResult<unknown>[]>).value;
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(WaitTimeoutError);
    }
    expect(cache.stats()).toMatchObject({ loads: 1, coalesced: 5, waitTimeouts: 5 });
    await cache.close();
    await expect(leader).rejects.toBeInstanceOf(LoadTimeoutError);
  });

  it("with 'load', load themselves (not by joining the hung flight again) and get their own value", async () => {
    const cache = make(new MemoryStore(), { waitTimeoutMs: 60, onWaitTimeout: 'load', closeTimeoutMs: 50 });
    const leader = cache.wrap('k', never);
    const loader = vi.fn(async () => 'own');
    const joined = await within(3000, cache.wrap('k', loader));
    expect(joined).toEqual({ status: 'fulfilled', value: 'own' });
    expect(loader).toHaveBeenCalledTimes(1);
    await cache.close();
    await expect(leader).rejects.toBeInstanceOf(LoadTimeoutError);
  });

  it("with 'stale', serve the value kept by staleIfError", async () => {
    const store = new MemoryStore();
    const cache = make(store, { ttl: 0.05, staleIfError: 60, waitTimeoutMs: 60, onWaitTimeout: 'stale' });
    await cache.wrap('k', () => 'old');
    await sleep(80); // past its TTL: a miss that keeps the old value as a fallback
    const leader = cache.wrap('k', never, { hardTimeoutMs: 500 });
    const answer = await within(3000, cache.answer('k', never));
    expect(answer).toMatchObject({ status: 'fulfilled', value: { value: 'old', source: 'stale' } });
    // The leader holding a stale value gets it too once its hard timeout ends the load.
    expect(await leader).toBe('old');
    await cache.close();
  });
});

describe('hardTimeoutMs', () => {
  it('aborts ctx.signal, rejects the leader and its joiners with E_LOAD_TIMEOUT, releases the lock, stores nothing', async () => {
    const store = new MemoryStore();
    const cache = make(store, { hardTimeoutMs: 60 });
    let signal: AbortSignal | undefined;
    const loader = (ctx: LoaderContext) => {
      signal = ctx.signal;
      return never();
    };
    const calls = [cache.wrap('k', loader), cache.wrap('k', loader), cache.wrap('k', loader)];
    const outcomes = await within(3000, Promise.allSettled(calls));
    const results = (outcomes as PromiseFulfilledResult<PromiseSettledResult<unknown>[]>).value;
    for (const result of results) {
      const reason = (result as PromiseRejectedResult).reason as LoadTimeoutError;
      expect(reason).toBeInstanceOf(LoadTimeoutError);
      expect(reason.code).toBe('E_LOAD_TIMEOUT');
      expect(reason.key).toBe('k');
    }
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(LoadTimeoutError);
    expect(await store.get(lockOf('k'))).toBeNull();
    expect(await cache.get('k')).toBeUndefined();
    expect(await cache.wrap('k', () => 'next')).toBe('next');
    await cache.close();
  });

  it('is off by default: a slow loader still answers', async () => {
    const cache = make(new MemoryStore());
    const slow = async () => {
      await sleep(30);
      return 'slow';
    };
    expect(await cache.wrap('k', slow)).toBe('slow');
    await cache.close();
  });
});

describe('loadTimeoutMs', () => {
  it('serves a kept stale value at once; the load goes on and stores its late result', async () => {
    const store = new MemoryStore();
    const cache = make(store, { ttl: 0.05, staleIfError: 60, loadTimeoutMs: 30 });
    await cache.wrap('k', () => 'old');
    await sleep(80);
    let finish!: (value: string) => void;
    const late = new Promise<string>((resolve) => {
      finish = resolve;
    });
    const answer = await within(
      3000,
      cache.answer('k', (ctx: LoaderContext) => {
        ctx.setTtl(60);
        return late;
      }),
    );
    expect(answer).toMatchObject({ status: 'fulfilled', value: { value: 'old', source: 'stale' } });
    expect(await store.get(lockOf('k'))).not.toBeNull(); // the load still holds the lock
    finish('new');
    await vi.waitFor(async () => expect(await cache.get('k')).toBe('new'));
    expect(await store.get(lockOf('k'))).toBeNull();
    expect(cache.stats()).toMatchObject({ loads: 2, loadErrors: 0 });
    await cache.close();
  });

  it('lets callers without a stale value wait for the load', async () => {
    const cache = make(new MemoryStore(), { loadTimeoutMs: 10 });
    const load = async () => {
      await sleep(40);
      return 'v';
    };
    expect(await cache.wrap('k', load)).toBe('v');
    await cache.close();
  });
});

describe('a loader that asks for its own key', () => {
  it('is rejected at once with E_RECURSIVE_LOAD, and the cache stays usable', async () => {
    const cache = make(new MemoryStore(), { closeTimeoutMs: 1000 });
    const loader = vi.fn(async (): Promise<string> => cache.wrap('self', loader));
    const outcome = await within(3000, cache.wrap('self', loader));
    const reason = (outcome as PromiseRejectedResult).reason as RecursiveLoadError;
    expect(reason).toBeInstanceOf(RecursiveLoadError);
    expect(reason.code).toBe('E_RECURSIVE_LOAD');
    expect(reason.chain).toEqual(['self', 'self']);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await cache.wrap('self', () => 'fine')).toBe('fine');
    await within(3000, cache.close());
  });

  it('through other keys and cached() functions, naming the chain', async () => {
    const cache = make(new MemoryStore());
    const a: () => Promise<string> = cache.cached('a', () => b());
    const b: () => Promise<string> = cache.cached('b', () => a());
    const outcome = await within(3000, a());
    const reason = (outcome as PromiseRejectedResult).reason as RecursiveLoadError;
    expect(reason).toBeInstanceOf(RecursiveLoadError);
    expect(reason.chain).toEqual(['a:', 'b:', 'a:']);
    await cache.close();
  });

  it('is refused from a background refresh too (no flight to join: checked at the miss)', async () => {
    const cache = make(new MemoryStore(), { ttl: 0.05, grace: 60 });
    await cache.set('k', 'x');
    await sleep(80); // in grace: served, refreshed in the background, and the refresh asks for 'k' again
    const refreshError = new Promise((resolve) => cache.once('refresh:error', (e) => resolve(e.error)));
    const loader = async (): Promise<string> => cache.wrap('k', async () => 'inner', { grace: 0 });
    expect(await cache.wrap('k', loader)).toBe('x');
    expect(await within(3000, refreshError)).toMatchObject({
      status: 'fulfilled',
      value: expect.any(RecursiveLoadError),
    });
    await cache.close();
  });

  it('does not flag calls on other keys, nor the same key after the load', async () => {
    const cache = make(new MemoryStore());
    const inner = vi.fn(() => 'inner');
    expect(await cache.wrap('outer', async () => `${await cache.wrap('inner', inner)}+outer`)).toBe(
      'inner+outer',
    );
    expect(await cache.wrap('outer', () => 'unused')).toBe('inner+outer');
    await cache.close();
  });
});

describe('a call a loader left behind', () => {
  it('is no recursion once that load has settled', async () => {
    const cache = make(new MemoryStore(), { ttl: 0.02 });
    let later: Promise<string> | undefined;
    await cache.wrap('k', async () => {
      // Runs after this load settled (and its entry expired): a fresh load of 'k', not a recursive one.
      later = sleep(60).then(() => cache.wrap('k', () => 'again'));
      return 'first';
    });
    await sleep(10);
    expect(await later).toBe('again');
    await cache.close();
  });
});

describe('close()', () => {
  it('settles within closeTimeoutMs, abandoning a load that never settles', async () => {
    const cache = make(new MemoryStore(), { closeTimeoutMs: 50, waitTimeoutMs: 60_000 });
    let signal: AbortSignal | undefined;
    const leader = cache.wrap('k', (ctx) => {
      signal = ctx.signal;
      return never();
    });
    const joiner = cache.wrap('k', never);
    await sleep(10);
    expect(await within(3000, cache.close())).toEqual({ status: 'fulfilled', value: undefined });
    await expect(leader).rejects.toBeInstanceOf(LoadTimeoutError);
    await expect(joiner).rejects.toBeInstanceOf(LoadTimeoutError);
    expect(signal?.aborted).toBe(true);
  });

  it('ends cross-cache waits on the lock at once when it gives up', async () => {
    const store = new MemoryStore();
    const holder = make(store, { closeTimeoutMs: 50 });
    const waiter = make(store, { closeTimeoutMs: 50, waitTimeoutMs: 60_000 });
    const held = holder.wrap('k', never);
    await sleep(10);
    const waiting = waiter.wrap('k', never);
    await sleep(20);
    expect(await within(3000, waiter.close())).toEqual({ status: 'fulfilled', value: undefined });
    await expect(waiting).rejects.toMatchObject({ code: 'E_CLOSED' });
    await holder.close();
    await expect(held).rejects.toBeInstanceOf(LoadTimeoutError);
  });
});
