/**
 * `null` is not a silent "default": for every documented option (names read from the TSDoc of the
 * interfaces, so a new option is covered the day it is added), null throws InvalidOptionError naming
 * the option, while leaving the option out (or undefined) still means its default.
 */
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { readOptionDocs } from '../scripts/options-table.js';
import { createCache, InvalidOptionError, MemoryStore } from '../src/index.js';
import { registerCacheMetrics } from '../src/prometheus/index.js';

const source = (path: string) => fileURLToPath(new URL(`../src/${path}`, import.meta.url));
const namesOf = (path: string, ...interfaces: string[]) =>
  interfaces.flatMap((name) => readOptionDocs(source(path), name).map((doc) => doc.name));

const CACHE_OPTIONS = namesOf('options.ts', 'CacheOptions', 'PolicyOptions');
const WRAP_OPTIONS = namesOf('options.ts', 'WrapOptions', 'PolicyOptions');
const CACHED_OPTIONS = [...WRAP_OPTIONS, ...namesOf('cache.ts', 'CachedOptions')];
const SET_OPTIONS = namesOf('cache.ts', 'SetOptions');
const MEMORY_STORE_OPTIONS = namesOf('store/memory-store.ts', 'MemoryStoreOptions');
const METRICS_OPTIONS = namesOf('prometheus/index.ts', 'CacheMetricsOptions');

/** The InvalidOptionError `run` throws or rejects with. */
async function optionError(run: () => unknown): Promise<InvalidOptionError> {
  let thrown: unknown;
  try {
    await run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidOptionError);
  return thrown as InvalidOptionError;
}

describe('null options', () => {
  it('covers every documented option', () => {
    expect(CACHE_OPTIONS).toHaveLength(38);
    expect(CACHE_OPTIONS).toEqual(expect.arrayContaining(['ttl', 'namespace', 'lockTtl', 'servers']));
    expect(CACHED_OPTIONS).toEqual(expect.arrayContaining(['lock', 'key', 'ttl']));
    expect(SET_OPTIONS).toEqual(['ttl', 'tags']);
    expect(MEMORY_STORE_OPTIONS).toEqual(['maxItems']);
    expect(METRICS_OPTIONS).toEqual(['name', 'registry', 'prefix']);
  });

  it.each(CACHE_OPTIONS)('createCache({ %s: null }) throws naming it', async (name) => {
    const error = await optionError(() => createCache({ store: new MemoryStore(), [name]: null }));
    expect(error.option).toBe(name);
    expect(error.message).toContain('null');
  });

  it.each(WRAP_OPTIONS)('wrap(key, loader, { %s: null }) rejects naming it', async (name) => {
    const cache = createCache({ store: new MemoryStore() });
    const error = await optionError(() => cache.wrap('k', () => 1, { [name]: null }));
    expect(error.option).toBe(`wrap().${name}`);
  });

  it.each(CACHED_OPTIONS)('cached(name, fn, { %s: null }) throws naming it', async (name) => {
    const cache = createCache({ store: new MemoryStore() });
    const error = await optionError(() => cache.cached('f', () => 1, { [name]: null }));
    expect(error.option).toBe(`cached().${name}`);
  });

  it.each(SET_OPTIONS)('set(key, value, { %s: null }) rejects naming it', async (name) => {
    const cache = createCache({ store: new MemoryStore() });
    const error = await optionError(() => cache.set('k', 1, { [name]: null }));
    expect(error.option).toBe(`set().${name}`);
  });

  it.each(MEMORY_STORE_OPTIONS)('new MemoryStore({ %s: null }) throws naming it', async (name) => {
    const error = await optionError(() => new MemoryStore({ [name]: null }));
    expect(error.option).toBe(name);
  });

  it.each(METRICS_OPTIONS)('registerCacheMetrics(cache, { %s: null }) throws naming it', async (name) => {
    const cache = createCache({ store: new MemoryStore() });
    const error = await optionError(() =>
      registerCacheMetrics(cache, { registry: new Registry(), [name]: null }),
    );
    expect(error.option).toBe(name);
  });

  it('rejects null for a whole options object where an object is expected', async () => {
    const cache = createCache({ store: new MemoryStore() });
    // biome-ignore lint/suspicious/noExplicitAny: null where the type says an object
    const anyNull = null as any;
    expect((await optionError(() => createCache(anyNull))).option).toBe('options');
    expect((await optionError(() => cache.wrap('k', () => 1, anyNull))).option).toBe('wrap()');
    expect((await optionError(() => cache.cached('f', () => 1, anyNull))).option).toBe('cached()');
    expect((await optionError(() => cache.set('k', 1, anyNull))).option).toBe('set()');
    expect((await optionError(() => new MemoryStore(anyNull))).option).toBe('options');
    expect((await optionError(() => registerCacheMetrics(cache, anyNull))).option).toBe('options');
  });

  it('still takes undefined as the default', async () => {
    const cache = createCache({ store: new MemoryStore(), ttl: undefined, namespace: undefined });
    expect(await cache.wrap('k', () => 1, { ttl: undefined, lock: undefined })).toBe(1);
    expect(await cache.set('s', 1, { ttl: undefined })).toBe(true);
    expect(new MemoryStore({ maxItems: undefined })).toBeInstanceOf(MemoryStore);
    const unregister = registerCacheMetrics(cache, { registry: new Registry(), name: undefined });
    unregister();
  });
});
