import { describe, expect, it } from 'vitest';
import { createCache, InvalidOptionError, MemoryStore } from '../src/index.js';
import { resolveCacheOptions, STORE_METHODS } from '../src/options.js';

const store = new MemoryStore();
/** A store's methods as own properties (a store written as a plain object). */
const methodsOf = (s: MemoryStore) => Object.fromEntries(STORE_METHODS.map((m) => [m, s[m].bind(s)]));

describe('createCache options', () => {
  const invalid: Array<[string, Record<string, unknown>]> = [
    ['ttl', { ttl: 0 }],
    ['ttl', { ttl: -1 }],
    ['ttl', { ttl: Number.NaN }],
    ['ttl', { ttl: '60' }],
    ['grace', { grace: -1 }],
    ['staleIfError', { staleIfError: Number.POSITIVE_INFINITY }],
    ['beta', { beta: -0.5 }],
    ['waitTimeoutMs', { waitTimeoutMs: -1 }],
    ['onWaitTimeout', { onWaitTimeout: 'retry' }],
    ['safeMode', { safeMode: 'on' }],
    ['probeIntervalMs', { probeIntervalMs: 0 }],
    ['probeTimeoutMs', { probeTimeoutMs: -1 }],
    ['downAfter', { downAfter: 1.5 }],
    ['settleMs', { settleMs: -1 }],
    ['maxConcurrentLoads', { maxConcurrentLoads: 0 }],
    ['failover', { failover: 'random' }],
    ['failoverTtl', { failoverTtl: 0 }],
    ['gutterServers', { failover: 'gutter' }],
    ['failoverTtl', { lockTtl: 20, failoverTtl: 10 }],
    ['lockTtl', { lockTtl: 0.5 }],
    ['pollMinMs', { pollMinMs: 0 }],
    ['pollMaxMs', { pollMinMs: 50, pollMaxMs: 10 }],
    ['pollFactor', { pollFactor: 0.5 }],
    ['opTimeoutMs', { opTimeoutMs: 0 }],
    ['maxValueBytes', { maxValueBytes: 1.5 }],
    ['namespace', { namespace: 'has space' }],
    ['namespace', { namespace: 42 }],
    ['serializer', { serializer: { serialize: () => Buffer.alloc(0) } }],
    ['store', { store: {} }],
    ['store', { store: { get: async () => null } }],
    ['store', { store: { ...methodsOf(new MemoryStore()), add: undefined } }],
    ['username', { username: 7 }],
    ['protocol', { protocol: 'text' }],
    ['tls', { username: 'u', tls: true }],
    ['store', { store: { ...methodsOf(new MemoryStore()), setIfCas: undefined } }],
    ['tls', { protocol: 'binary', tls: {} }],
    ['tls', { protocol: 'meta', tls: 'yes' }],
    ['username', { protocol: 'meta', username: 'u' }],
    ['servers', { protocol: 'meta', servers: 'u:p@h:1' }],
    ['servers', { servers: [] }],
    ['servers[0]', { servers: ['not a host'] }],
    ['servers[0]', { servers: ['h:70000'] }],
    ['servers[0]', { servers: ['h:0'] }],
    ['servers[1]', { servers: ['a:1', 'a:1'] }],
    ['servers[0].weight', { servers: [{ address: 'a:1', weight: 0 }] }],
    ['lockTTL', { lockTTL: 5 }],
    ['servers', { servers: 'h:1', store }],
  ];

  it.each(invalid)('rejects a bad %s with a TypeError naming it', (option, options) => {
    let thrown: unknown;
    try {
      // Server options are checked when memcached is used: no `store` for them.
      createCache(option.startsWith('servers') ? options : { store, ...options });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect((thrown as InvalidOptionError).code).toBe('E_INVALID_OPTION');
    expect((thrown as InvalidOptionError).option).toBe(option);
    expect((thrown as Error).message).toContain(`\`${option}\``);
  });

  it('accepts a store written as a plain object', () => {
    expect(() => createCache({ store: methodsOf(new MemoryStore()) as never })).not.toThrow();
  });

  it('fills in documented defaults', () => {
    const o = resolveCacheOptions({}, {});
    expect(o.servers).toEqual([{ address: '127.0.0.1:11211', weight: 1 }]);
    expect(o.policy).toMatchObject({ ttl: 60, grace: 0, staleIfError: 0, beta: 0, onWaitTimeout: 'load' });
    expect(o).toMatchObject({
      safeMode: 'auto',
      probeIntervalMs: 1000,
      downAfter: 2,
      settleMs: 10_000,
      maxConcurrentLoads: 8,
      failover: 'rehash',
      failoverTtl: 30,
    });
    expect(o.lockTtl).toBe(10);
    expect(o.opTimeoutMs).toBe(250);
  });

  it('reads servers from MEMCACHED_SERVERS when not given', () => {
    const o = resolveCacheOptions({}, { MEMCACHED_SERVERS: '10.0.0.1:11211, 10.0.0.2:11212' });
    expect(o.servers.map((s) => s.address)).toEqual(['10.0.0.1:11211', '10.0.0.2:11212']);
    const explicit = resolveCacheOptions({ servers: 'h:1' }, { MEMCACHED_SERVERS: 'x:2' });
    expect(explicit.servers.map((s) => s.address)).toEqual(['h:1']);
  });

  it('accepts SASL credentials in the address and weights', () => {
    const o = resolveCacheOptions({ servers: ['user:pw@h:1', { address: 'h:2', weight: 3 }] }, {});
    expect(o.servers).toEqual([
      { address: 'user:pw@h:1', weight: 1 },
      { address: 'h:2', weight: 3 },
    ]);
    expect(o.protocol).toBe('binary');
  });

  it("speaks 'binary' by default", () => {
    expect(resolveCacheOptions({}, {}).protocol).toBe('binary');
    expect(resolveCacheOptions({ protocol: 'meta' }, {}).protocol).toBe('meta');
  });
});

describe('per-call options', () => {
  const cache = createCache({ store });

  it('rejects bad wrap() options with a TypeError naming them', async () => {
    await expect(cache.wrap('k', () => 1, { ttl: -5 })).rejects.toThrow(/`wrap\(\)\.ttl`/);
    await expect(cache.wrap('k', () => 1, { lock: 'yes' as unknown as boolean })).rejects.toThrow(
      /`wrap\(\)\.lock`/,
    );
    await expect(cache.wrap('k', () => 1, { tll: 5 } as never)).rejects.toThrow(/`wrap\(\)\.tll`/);
    await expect(cache.wrap('k', 'nope' as never)).rejects.toThrow(TypeError);
    await expect(cache.wrap('', () => 1)).rejects.toThrow(/`key`/);
  });

  it('rejects bad set() options with a TypeError naming them', async () => {
    await expect(cache.set('k', 1, { ttl: -1 })).rejects.toThrow(/`set\(\)\.ttl`/);
    await expect(cache.set('k', 1, { tll: 5 } as never)).rejects.toThrow(/`set\(\)\.tll`/);
    await expect(cache.set('k', 1, null as never)).rejects.toThrow(/`set\(\)`/);
    expect(await cache.set('k', 1, { ttl: 5 })).toBe(true);
  });

  it('rejects bad cached() options at definition time', () => {
    expect(() => cache.cached('f', () => 1, { grace: -1 })).toThrow(/`cached\(\)\.grace`/);
    expect(() => cache.cached('', () => 1)).toThrow(/`name`/);
    expect(() => cache.cached('f', 42 as never)).toThrow(/`fn`/);
  });
});
