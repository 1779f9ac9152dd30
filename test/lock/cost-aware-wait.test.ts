/**
 * Cost-aware waiting, as policy over the in-memory store: what the lock holder publishes, and how a
 * waiter uses it. Cross-process behaviour with real memcached: test/integration/cost-aware-wait.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../src/envelope.js';
import { type CacheOptions, createCache, jsonSerializer, MemoryStore } from '../../src/index.js';
import { lockKeyOf, toStoreKey } from '../../src/keys.js';
import { decodeLockValue, encodeLockValue } from '../../src/lock/lock-value.js';
import { sleep } from '../support/deferred.js';

const storeKeyOf = (key: string) => toStoreKey('t', key);
const make = (store: MemoryStore, options: CacheOptions = {}) =>
  createCache({ store, namespace: 't', safeMode: 'always', ...options });

/** The lock as a waiter would read it while `loader` runs. */
async function lockSeenDuringLoad(store: MemoryStore, cache: ReturnType<typeof make>, key: string) {
  let seen: ReturnType<typeof decodeLockValue> | null = null;
  await cache.wrap(key, async () => {
    const bytes = await store.get(lockKeyOf(storeKeyOf(key)));
    seen = bytes && decodeLockValue(bytes);
    return 'v';
  });
  return seen as ReturnType<typeof decodeLockValue> | null;
}

async function storeExpired(store: MemoryStore, key: string, costMs: number) {
  const bytes = encodeEnvelope({ value: 'old', freshUntil: Date.now() - 60_000, costMs }, jsonSerializer);
  await store.set(storeKeyOf(key), bytes, 300);
}

describe('the lock holder publishes what the key cost last time', () => {
  it('from the expired entry it found', async () => {
    const store = new MemoryStore();
    await storeExpired(store, 'k', 237);
    const lock = await lockSeenDuringLoad(store, make(store), 'k');
    expect(lock).toMatchObject({ estimateMs: 237 });
    expect(Math.abs((lock?.startedAtMs ?? 0) - Date.now())).toBeLessThan(1000);
  });

  it('from its own memory when memcached dropped the entry, and nothing for a key never loaded', async () => {
    const store = new MemoryStore();
    const cache = make(store);
    expect(await lockSeenDuringLoad(store, cache, 'k')).toMatchObject({ estimateMs: null });
    await cache.wrap('slow', async () => {
      await sleep(40);
      return 'v';
    });
    await store.delete(storeKeyOf('slow')); // expired, and memcached dropped it (no grace, no staleIfError)
    const lock = await lockSeenDuringLoad(store, cache, 'slow');
    expect(lock?.estimateMs).toBeGreaterThanOrEqual(35);
  });

  it('learns the cost from the entry its waiter received, for the next time it holds the lock', async () => {
    const store = new MemoryStore();
    const [holder, waiter] = [make(store), make(store)];
    const load = holder.wrap('k', async () => {
      await sleep(60);
      return 'v';
    });
    await sleep(5);
    expect(await waiter.wrap('k', () => 'never')).toBe('v');
    await load;
    await store.delete(storeKeyOf('k'));
    const lock = await lockSeenDuringLoad(store, waiter, 'k');
    expect(lock?.estimateMs).toBeGreaterThanOrEqual(55);
  });
});

describe('a waiter', () => {
  /** Another process holds the lock with `lockValue`, and stores the entry after `loadMs`. */
  async function waitBehind(lockValue: Buffer, loadMs: number, options: CacheOptions) {
    const store = new MemoryStore();
    await store.add(lockKeyOf(storeKeyOf('k')), lockValue, 30);
    setTimeout(() => {
      const bytes = encodeEnvelope(
        { value: 'theirs', freshUntil: Date.now() + 60_000, costMs: loadMs },
        jsonSerializer,
      );
      void store.set(storeKeyOf('k'), bytes, 60).then(() => store.delete(lockKeyOf(storeKeyOf('k'))));
    }, loadMs);
    const cache = make(store, options);
    const reads: number[] = [];
    cache.on('wait:done', (e) => reads.push(e.reads));
    const value = await cache.wrap('k', () => 'mine');
    return { value, reads, loads: cache.stats().loads };
  }

  it('behind a 0.1 holder (a bare token, no estimate) polls with the backoff and gets its value', async () => {
    const result = await waitBehind(Buffer.from('oldhost/99/0a0b0c0d0e0f/3'), 120, {});
    expect(result).toMatchObject({ value: 'theirs', loads: 0 });
    expect(result.reads).toHaveLength(1);
  });

  it('given an estimate, sleeps through half the load: far fewer reads at the same wake-up precision', async () => {
    // Both waiters poll at least every 7.5 ms near the end; without an estimate they must do so throughout.
    const options = { pollMinMs: 7.5, pollMaxMs: 7.5 };
    const informed = encodeLockValue({ token: 'h/1/a/1', estimateMs: 300, startedAtMs: Date.now() });
    const withEstimate = await waitBehind(informed, 300, options);
    const without = await waitBehind(Buffer.from('h/1/a/1'), 300, options);
    expect(withEstimate).toMatchObject({ value: 'theirs', loads: 0 });
    expect(without).toMatchObject({ value: 'theirs', loads: 0 });
    expect(withEstimate.reads[0]).toBeLessThan(0.7 * (without.reads[0] ?? 0));
  });
});
