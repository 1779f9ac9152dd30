/**
 * Both memcached transports for the integration tests, so each fault test runs on `binary` (memjs) and on
 * `meta` (our client) from one body: `describe.each(PROTOCOLS)('on %s', (protocol) => ...)`. Worker
 * processes get theirs through `spawnWorkers({ protocol })`, which sets `CACHE_PROTOCOL`, read back by
 * `protocolFromEnv()` (also in children that are not workers, such as the cache-warmup CLI's `--module`).
 * No vitest import: worker processes load this module too.
 */
import type { Protocol } from '../../src/options.js';
import { MemcachedStore } from '../../src/store/memjs/memcached-store.js';
import { MetaStore } from '../../src/store/meta/meta-store.js';
import type { RendezvousPool } from '../../src/store/rendezvous-pool.js';

export type { Protocol };

export const PROTOCOLS: readonly Protocol[] = ['binary', 'meta'];

/** The environment variable a child process reads its protocol from. */
export const PROTOCOL_ENV = 'CACHE_PROTOCOL';

/** The environment that makes a child process use `protocol`. */
export function protocolEnv(protocol: Protocol): Record<string, string> {
  return { [PROTOCOL_ENV]: protocol };
}

/**
 * The `protocol` option a child process was started with, to spread into `createCache()`; empty when it
 * was started without one (the cache's default applies).
 */
export function protocolFromEnv(env: NodeJS.ProcessEnv = process.env): { protocol?: Protocol } {
  const value = env[PROTOCOL_ENV];
  if (value === undefined || value === '') return {};
  if (!(PROTOCOLS as readonly string[]).includes(value)) {
    throw new Error(`${PROTOCOL_ENV} must be one of ${PROTOCOLS.join(', ')}, not ${JSON.stringify(value)}`);
  }
  return { protocol: value as Protocol };
}

/** A memcached pool on `protocol` over `nodes`, as a cache on that protocol would create it. */
export function poolOn(
  protocol: Protocol,
  nodes: ReadonlyArray<{ address: string }>,
  opTimeoutMs = 500,
): RendezvousPool {
  const servers = nodes.map(({ address }) => ({ address, weight: 1 }));
  return protocol === 'meta'
    ? new MetaStore({ servers, opTimeoutMs })
    : new MemcachedStore({ servers, opTimeoutMs });
}
