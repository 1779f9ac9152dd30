/**
 * A pool of memcached nodes with its own routing: weighted rendezvous hashing over the configured nodes,
 * so a lock key routes with its data key (`route`) and losing a node moves only that node's keys.
 */
import { MemcachedNode } from './memcached-node.js';
import { RendezvousRouter } from './rendezvous.js';
import type { Store, StoreCallOptions } from './store.js';

export interface MemcachedStoreOptions {
  servers: ReadonlyArray<{ address: string; weight: number }>;
  /** Own timeout of every call, in ms. */
  opTimeoutMs: number;
  username?: string | undefined;
  password?: string | undefined;
}

export class MemcachedStore implements Store {
  /** The nodes, in configured order. */
  readonly nodes: readonly MemcachedNode[];
  readonly #router: RendezvousRouter;

  constructor(options: MemcachedStoreOptions) {
    this.nodes = options.servers.map(
      (server) =>
        new MemcachedNode({
          address: server.address,
          opTimeoutMs: options.opTimeoutMs,
          username: options.username,
          password: options.password,
        }),
    );
    this.#router = new RendezvousRouter(
      this.nodes.map((node, i) => ({ id: node.id, weight: options.servers[i]?.weight ?? 1 })),
    );
  }

  /** The node that owns `routeKey`. */
  nodeFor(routeKey: string): MemcachedNode {
    return this.nodes[this.#router.pick(routeKey)] as MemcachedNode;
  }

  get(key: string, options?: StoreCallOptions): Promise<Buffer | null> {
    return this.nodeFor(options?.route ?? key).get(key);
  }

  set(key: string, value: Buffer, ttlSeconds: number, options?: StoreCallOptions): Promise<void> {
    return this.nodeFor(options?.route ?? key).set(key, value, ttlSeconds);
  }

  add(key: string, value: Buffer, ttlSeconds: number, options?: StoreCallOptions): Promise<boolean> {
    return this.nodeFor(options?.route ?? key).add(key, value, ttlSeconds);
  }

  delete(key: string, options?: StoreCallOptions): Promise<boolean> {
    return this.nodeFor(options?.route ?? key).delete(key);
  }

  touch(key: string, ttlSeconds: number, options?: StoreCallOptions): Promise<boolean> {
    return this.nodeFor(options?.route ?? key).touch(key, ttlSeconds);
  }

  async close(): Promise<void> {
    for (const node of this.nodes) node.close();
  }
}
