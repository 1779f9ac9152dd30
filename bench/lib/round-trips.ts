/**
 * Round trips counted, not estimated: each node of both transports counts its socket writes (calls issued
 * in one tick go out in one write and are answered together: one round trip). On a quiet node with no
 * monitor probing it (safeMode 'off'), a call's round trips are the node's writes during that call.
 */
import type { Protocol } from '../../src/options.js';
import { library } from './library.js';

export interface RoundTrips {
  protocol: Protocol;
  /** A miss that takes the safe- lock (`lock: true`), loads and stores: per call. */
  lockedMiss: number[];
  /** A miss without the lock: read, load, store. */
  plainMiss: number[];
  /** A fresh hit. */
  hit: number[];
}

/** Runs `misses` of each kind one at a time on `servers` over `protocol`, counting each call's writes. */
export async function countRoundTrips(
  protocol: Protocol,
  servers: readonly string[],
  misses: number,
): Promise<RoundTrips> {
  const options = { servers: servers.map((address) => ({ address, weight: 1 })), opTimeoutMs: 2000 };
  const store = protocol === 'meta' ? new library.MetaStore(options) : new library.MemcachedStore(options);
  const namespace = `bench-rt-${protocol}-${process.pid}-${Date.now().toString(36)}`;
  const cache = library.createCache({ store, safeMode: 'off', namespace, ttl: 300 });
  const nodes = store.nodes as ReadonlyArray<{ writes: number; get(key: string): Promise<unknown> }>;
  const writes = () => nodes.reduce((sum, node) => sum + node.writes, 0);
  const counted = async (call: () => Promise<unknown>) => {
    const before = writes();
    await call();
    return writes() - before;
  };
  try {
    await Promise.all(nodes.map((node) => node.get('bench-rt:connect'))); // connected first
    const result: RoundTrips = { protocol, lockedMiss: [], plainMiss: [], hit: [] };
    for (let i = 0; i < misses; i++) {
      result.lockedMiss.push(await counted(() => cache.wrap(`locked:${i}`, async () => i, { lock: true })));
      result.plainMiss.push(await counted(() => cache.wrap(`plain:${i}`, async () => i)));
      result.hit.push(await counted(() => cache.wrap(`locked:${i}`, async () => -1, { lock: true })));
    }
    return result;
  } finally {
    await cache.close();
    await store.close();
  }
}
