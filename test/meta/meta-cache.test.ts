/**
 * A cache on `protocol: 'meta'`: wrap over TLS, a wrong CA as a store:error that still returns the loader's
 * value, and caches on both protocols sharing one node (same keys, envelope and `safe-` lock).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cache, createCache } from '../../src/index.js';
import { sleep } from '../support/deferred.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { startTlsMemcached, type TlsFixture } from '../support/tls-memcached.js';

const caches: Cache[] = [];
const open = (options: Parameters<typeof createCache>[0]) => {
  const cache = createCache({ opTimeoutMs: 1000, ...options });
  caches.push(cache);
  return cache;
};

let tls: TlsFixture;
let plainServer: MemcachedProcess;
beforeAll(async () => {
  tls = await startTlsMemcached();
  plainServer = await startMemcached();
});
afterAll(async () => {
  await Promise.all(caches.map((cache) => cache.close()));
  await stopAllMemcached();
  tls?.cleanup();
});

describe("createCache({ protocol: 'meta' })", () => {
  it('wraps over TLS: loads once, then hits', async () => {
    const cache = open({
      servers: tls.server.address,
      protocol: 'meta',
      tls: { ca: tls.ca },
      safeMode: 'off',
    });
    let loads = 0;
    const loader = async () => ({ n: ++loads });
    expect(await cache.wrap('tls:user', loader)).toEqual({ n: 1 });
    expect(await cache.wrap('tls:user', loader)).toEqual({ n: 1 });
    expect(loads).toBe(1);
  });

  it("reports a wrong CA as store:error, and still returns the loader's value", async () => {
    const cache = open({
      servers: tls.server.address,
      protocol: 'meta',
      tls: { ca: tls.otherCa },
      safeMode: 'off',
    });
    const errors: string[] = [];
    cache.on('store:error', (event) => errors.push(String(event.error)));
    expect(await cache.wrap('tls:other', async () => 'from the loader')).toBe('from the loader');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatch(/certificate/i);
  });

  it('shares values and the safe- lock with a cache on the binary protocol: one load for both', async () => {
    const options = { servers: plainServer.address, namespace: 'mixed', safeMode: 'always' } as const;
    const meta = open({ ...options, protocol: 'meta' });
    const binary = open({ ...options, protocol: 'binary' });
    await binary.set('written-by-binary', { from: 'binary' });
    expect(await meta.get('written-by-binary')).toEqual({ from: 'binary' });
    let loads = 0;
    const loader = async () => {
      loads++;
      await sleep(200);
      return 'loaded once';
    };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? meta : binary).wrap('cold', loader)),
    );
    expect(results.every((value) => value === 'loaded once')).toBe(true);
    expect(loads).toBe(1);
  });
});
