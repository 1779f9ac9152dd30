/**
 * Regression tests of issue 9 items 2, 3, 5 and 10 through the cache's public API (MemoryStore: these are
 * questions of which key and which bytes, not of timing). Each failed on 0.1.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  type CacheOptions,
  createCache,
  InvalidOptionError,
  MemoryStore,
  SerializationError,
} from '../src/index.js';
import { lockKeyOf, toStoreKey } from '../src/keys.js';
import { deferred } from './support/deferred.js';

const make = (store: MemoryStore, options: CacheOptions = {}) =>
  createCache({ store, safeMode: 'off', pollMinMs: 2, pollMaxMs: 10, ...options });

describe('issue 9 item 2: namespaces', () => {
  it('refuses namespaces that could meet another namespace or the lock keys', () => {
    for (const namespace of ['a:b', 'safe-app', 'safe-'])
      expect(() => createCache({ store: new MemoryStore(), namespace })).toThrow(InvalidOptionError);
    for (const namespace of ['', 'a', 'safe', 'app-safe-', 'a#b'])
      expect(() => createCache({ store: new MemoryStore(), namespace })).not.toThrow();
  });

  it('keeps the empty namespace apart from a named one sharing memcached', async () => {
    const store = new MemoryStore();
    const [root, named] = [make(store), make(store, { namespace: 'a' })];
    await named.set('c', 'named');
    expect(await root.get('a:c')).toBeUndefined();
    await root.set('a:c', 'root');
    expect(await named.get('c')).toBe('named');
  });
});

describe('issue 9 item 3: user keys never reach the lock key space', () => {
  it('a user key named like a lock does not make a locked miss wait', async () => {
    const store = new MemoryStore();
    const cache = make(store, { waitTimeoutMs: 300, onWaitTimeout: 'throw' });
    await cache.set('safe-k1', 'a user value');
    expect(await cache.wrap('k1', () => 'loaded', { lock: true })).toBe('loaded');
  });

  it('wrap() of a lock-like key neither reads nor overwrites the lock', async () => {
    const store = new MemoryStore();
    const cache = make(store);
    const corrupt = vi.fn();
    cache.on('value:corrupt', corrupt);
    const gate = deferred<string>();
    const holder = cache.wrap('k2', () => gate.promise, { lock: true });
    await vi.waitFor(async () => expect(await store.get(lockKeyOf(toStoreKey('', 'k2')))).not.toBeNull());
    const token = await store.get(lockKeyOf(toStoreKey('', 'k2')));
    expect(await cache.wrap('safe-k2', () => 'other', { lock: true })).toBe('other');
    expect(corrupt).not.toHaveBeenCalled();
    expect(await store.get(lockKeyOf(toStoreKey('', 'k2')))).toEqual(token);
    gate.resolve('v');
    expect(await holder).toBe('v');
  });
});

describe('issue 9 item 5: cached() keys', () => {
  it('a custom key() must return a non-empty string', async () => {
    const store = new MemoryStore();
    const profile = make(store).cached('profile', (user: string) => `profile of ${user}`, {
      key: (user) => ({ user }) as unknown as string,
    });
    await expect(profile('alice')).rejects.toThrow(/`cached\(\).key`/);
    await expect(profile('bob')).rejects.toBeInstanceOf(TypeError);
    const empty = make(store).cached('e', (n: number) => n, { key: () => '' });
    await expect(empty(1)).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('does not serve f(0) to f(-0), nor f({}) to f({a: undefined})', async () => {
    const cache = make(new MemoryStore());
    const sign = cache.cached('sign', (x: number) => (Object.is(x, -0) ? 'negative zero' : 'zero'));
    expect(await sign(0)).toBe('zero');
    expect(await sign(-0)).toBe('negative zero');
    const has = cache.cached('has', (o: object) => 'a' in o);
    expect(await has({})).toBe(false);
    expect(await has({ a: undefined })).toBe(true);
  });

  it('rejects an argument it cannot tell apart, naming it', async () => {
    const cache = make(new MemoryStore());
    const byTags = cache.cached('tags', (_id: number, tags: Set<string>) => [...tags]);
    await expect(byTags(1, new Set(['a']))).rejects.toThrow(/`cached\(\) argument 1`.*Set/);
  });
});

describe('issue 9 item 10: a hit returns the value the miss did', () => {
  it('round-trips NaN, ±Infinity, -0, undefined and Dates through memcached bytes', async () => {
    const store = new MemoryStore();
    const value = {
      nan: Number.NaN,
      inf: [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
      zero: -0,
      missing: undefined,
      at: new Date(0),
    };
    expect(await make(store).wrap('v', () => value)).toBe(value);
    const hit: unknown = await make(store).wrap<unknown>('v', () => 'not a hit'); // another "process": no shared object
    expect(hit).toEqual(value);
    expect(Object.is((hit as typeof value).zero, -0)).toBe(true);
    expect((hit as typeof value).at).toBeInstanceOf(Date);
    expect(Object.hasOwn(hit as object, 'missing')).toBe(true);
  });

  it('refuses what it cannot round-trip, saying where and what to use instead', async () => {
    const cache = make(new MemoryStore());
    const error = await cache.set('m', { users: [{ roles: new Set(['admin']) }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SerializationError);
    expect(error).toMatchObject({ code: 'E_SERIALIZE', key: 'm' });
    expect((error as Error).message).toMatch(/a Set at value\.users\[0\]\.roles.*v8Serializer/);
  });
});
