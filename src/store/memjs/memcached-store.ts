/**
 * The memcached pool over memjs: one `MemcachedNode` (one memjs client) per server, routed by the
 * rendezvous pool (memjs's own `hash % n` routing is not used).
 */
import { RendezvousPool } from '../rendezvous-pool.js';
import { MemcachedNode } from './memcached-node.js';

export interface MemcachedStoreOptions {
  servers: ReadonlyArray<{ address: string; weight: number }>;
  /** Own timeout of every call, in ms. */
  opTimeoutMs: number;
  username?: string | undefined;
  password?: string | undefined;
}

/**
 * A pool of memcached nodes: the default store of `createCache({ servers })`. Pass one as `store` to
 * share it between caches (each routes its own calls; the pool keeps no routing state) and close it
 * yourself after them. TTLs are in seconds; 0 means no expiry.
 */
export class MemcachedStore extends RendezvousPool<MemcachedNode> {
  constructor(options: MemcachedStoreOptions) {
    super(
      options.servers.map((server) => server.weight),
      (index, report) =>
        new MemcachedNode({
          address: (options.servers[index] as { address: string }).address,
          opTimeoutMs: options.opTimeoutMs,
          username: options.username,
          password: options.password,
          onOutcome: report,
        }),
    );
  }
}
