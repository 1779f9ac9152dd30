/**
 * A pool of memcached nodes with its own routing: weighted rendezvous hashing over the configured nodes,
 * so a lock key routes with its data key (`route`) and losing a node moves only that node's keys.
 * Where a key goes when its owner is unavailable is not decided here: a placement policy (safe mode's
 * failover routing) can be plugged in; by default every key goes to its owner.
 */
import { NodeDownError, type StoreError } from '../errors.js';
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

/** Told the outcome of a call on a node: null on success. */
export type OutcomeListener = (node: MemcachedNode, error: StoreError | null) => void;

/** Where a call for a key goes, and the longest TTL allowed there (failover copies must not linger). */
export interface Placement {
  node: MemcachedNode;
  maxTtl?: number | undefined;
}

/**
 * Chooses the placement of a route key, given its owner's index (`store.rank(key)` gives the rest of
 * the order). Returns null when no node may take the key.
 */
export type PlacementPolicy = (routeKey: string, ownerIndex: number) => Placement | null;

export class MemcachedStore implements Store {
  /** The nodes, in configured order. */
  readonly nodes: readonly MemcachedNode[];
  readonly #router: RendezvousRouter;
  readonly #outcomeListeners = new Set<OutcomeListener>();
  /** Each node's own placement, built once: routing allocates nothing per call. */
  readonly #home: readonly Placement[];
  #placement: PlacementPolicy | undefined;

  constructor(options: MemcachedStoreOptions) {
    this.nodes = options.servers.map(
      (server) =>
        new MemcachedNode({
          address: server.address,
          opTimeoutMs: options.opTimeoutMs,
          username: options.username,
          password: options.password,
          onOutcome: (node, error) => {
            for (const listener of this.#outcomeListeners) listener(node, error);
          },
        }),
    );
    this.#home = this.nodes.map((node) => ({ node }));
    this.#router = new RendezvousRouter(
      this.nodes.map((node, i) => ({ id: node.id, weight: options.servers[i]?.weight ?? 1 })),
    );
  }

  /** Index of the node that owns `routeKey` when every node is up. */
  ownerIndex(routeKey: string): number {
    return this.#router.pick(routeKey);
  }

  /** The placement of node `index` as its own home (no TTL cap): built once, shared with placement policies. */
  home(index: number): Placement {
    return this.#home[index] as Placement;
  }

  /** Every node index for `routeKey`, owner first: the failover order. */
  rank(routeKey: string): number[] {
    return this.#router.rank(routeKey);
  }

  /** Listens to the outcome of every call on every node (passive health evidence). Returns an unsubscribe. */
  observeOutcomes(listener: OutcomeListener): () => void {
    this.#outcomeListeners.add(listener);
    return () => this.#outcomeListeners.delete(listener);
  }

  /** Plugs in a placement policy (failover routing); undefined restores "always the owner". */
  usePlacement(policy: PlacementPolicy | undefined): void {
    this.#placement = policy;
  }

  /** The node a call for `routeKey` goes to now. */
  nodeFor(routeKey: string): MemcachedNode {
    return this.#place('route', routeKey).node;
  }

  get(key: string, options?: StoreCallOptions): Promise<Buffer | null> {
    return this.#call('get', key, options, (p) => p.node.get(key));
  }

  set(key: string, value: Buffer, ttlSeconds: number, options?: StoreCallOptions): Promise<void> {
    return this.#call('set', key, options, (p) => p.node.set(key, value, capTtl(ttlSeconds, p.maxTtl)));
  }

  add(key: string, value: Buffer, ttlSeconds: number, options?: StoreCallOptions): Promise<boolean> {
    return this.#call('add', key, options, (p) => p.node.add(key, value, capTtl(ttlSeconds, p.maxTtl)));
  }

  delete(key: string, options?: StoreCallOptions): Promise<boolean> {
    return this.#call('delete', key, options, (p) => p.node.delete(key));
  }

  touch(key: string, ttlSeconds: number, options?: StoreCallOptions): Promise<boolean> {
    return this.#call('touch', key, options, (p) => p.node.touch(key, capTtl(ttlSeconds, p.maxTtl)));
  }

  async close(): Promise<void> {
    for (const node of this.nodes) node.close();
  }

  #call<T>(
    operation: string,
    key: string,
    options: StoreCallOptions | undefined,
    run: (placement: Placement) => Promise<T>,
  ): Promise<T> {
    try {
      return run(this.#place(operation, options?.route ?? key));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #place(operation: string, routeKey: string): Placement {
    const owner = this.#router.pick(routeKey);
    if (!this.#placement) return this.home(owner);
    const placement = this.#placement(routeKey, owner);
    if (!placement) throw new NodeDownError(operation, (this.nodes[owner] as MemcachedNode).id);
    return placement;
  }
}

/** A TTL no longer than `maxTtl` (0, "no expiry", becomes `maxTtl`). */
function capTtl(ttlSeconds: number, maxTtl: number | undefined): number {
  if (maxTtl === undefined) return ttlSeconds;
  return ttlSeconds <= 0 ? maxTtl : Math.min(ttlSeconds, maxTtl);
}
