import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createCache, MemoryStore } from '../src/index.js';
import { registerCacheMetrics } from '../src/prometheus/index.js';

const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

describe('Prometheus metrics', () => {
  it('exports counters, gauges and the load histogram per cache', async () => {
    const registry = new Registry();
    const users = createCache({ store: new MemoryStore(), safeMode: 'always' });
    const pages = createCache({ store: new MemoryStore() });
    registerCacheMetrics(users, { name: 'users', registry });
    registerCacheMetrics(pages, { name: 'pages', registry });
    await users.wrap('u1', () => 1);
    await users.wrap('u1', () => 1);
    await users.wrap('u2', () => 2);
    await pages.wrap('p', () => 'page');
    await expect(users.wrap('bad', () => Promise.reject(new Error('x')))).rejects.toThrow();

    const text = await registry.metrics();
    expect(value(text, 'stampede_guard_hits_total{cache="users"}')).toBe(1);
    expect(value(text, 'stampede_guard_loads_total{cache="users"}')).toBe(3);
    expect(value(text, 'stampede_guard_load_errors_total{cache="users"}')).toBe(1);
    expect(value(text, 'stampede_guard_locks_acquired_total{cache="users"}')).toBe(3);
    expect(value(text, 'stampede_guard_loads_total{cache="pages"}')).toBe(1);
    expect(value(text, 'stampede_guard_safe_mode_active{cache="users"}')).toBe(1);
    expect(value(text, 'stampede_guard_safe_mode_active{cache="pages"}')).toBe(0);
    expect(value(text, 'stampede_guard_load_duration_seconds_count{cache="users",background="false"}')).toBe(
      2,
    );
    // Scraping twice does not double the counters (they are read, not accumulated).
    expect(value(await registry.metrics(), 'stampede_guard_loads_total{cache="users"}')).toBe(3);
  });

  it('registers its metrics again after the registry was cleared', async () => {
    const registry = new Registry();
    const cache = createCache({ store: new MemoryStore() });
    registerCacheMetrics(cache, { registry, name: 'before' })();
    registry.clear(); // as tests and hot reloads do
    registerCacheMetrics(cache, { registry, name: 'after' });
    await cache.wrap('k', () => 1);
    const text = await registry.metrics();
    expect(value(text, 'stampede_guard_loads_total{cache="after"}')).toBe(1);
    expect(value(text, 'stampede_guard_load_duration_seconds_count{cache="after",background="false"}')).toBe(
      1,
    );
  });

  it('rejects bad options with a TypeError naming them, and unregisters', async () => {
    const registry = new Registry();
    const cache = createCache({ store: new MemoryStore() });
    expect(() => registerCacheMetrics(cache, { registry, prefix: '9bad' })).toThrow(/`prefix`/);
    const unregister = registerCacheMetrics(cache, { registry, name: 'c' });
    expect(() => registerCacheMetrics(cache, { registry, name: 'c' })).toThrow(/`name`/);
    await cache.wrap('k', () => 1);
    unregister();
    expect(value(await registry.metrics(), 'stampede_guard_loads_total{cache="c"}')).toBeUndefined();
  });
});
