/**
 * The node-pool seam: what safe mode needs from a pool of cache nodes, whatever the transport. A pool has
 * nodes with an identity (`id`, `probe`), ranks them per key (rendezvous order: owner first), reports the
 * outcome of every call as health evidence, and routes each call through a placement policy that the
 * call brings along (`StoreCallOptions.routing`). The pool holds no routing state of its own: two caches
 * sharing one pool route independently, and a wrapper around the pool keeps their routing by forwarding
 * its call options. `RendezvousPool` implements this over any `PoolNode`; a transport adds its node class.
 */
import type { CasDeleteOutcome, CasMismatch, CasToken, CasValue } from './cas.js';

/** Identity of a running node process: a restart changes its pid and resets its uptime. */
export interface NodeIdentity {
  pid: number;
  /** Seconds since the process started. */
  uptime: number;
}

/**
 * One node of a pool, behind one transport client. Every call settles within the transport's own
 * timeout and fails with a `StoreError` (the transport turns its client's failures into the error
 * classes `failureKind` reads, in failures.ts); nothing is resent.
 */
export interface PoolNode {
  /** `host:port`, without credentials: safe to put in events and errors. */
  readonly id: string;
  get(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer, ttlSeconds: number): Promise<void>;
  add(key: string, value: Buffer, ttlSeconds: number): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  touch(key: string, ttlSeconds: number): Promise<boolean>;
  /** Empties the node (memcached `flush_all`): the safe way back for a node whose stale keys were not all remembered. */
  flush(): Promise<void>;
  /** The compare-and-swap calls, as `Store` describes them (memcached's own CAS). */
  getWithCas(key: string): Promise<CasValue | null>;
  addWithCas(key: string, value: Buffer, ttlSeconds: number): Promise<CasToken | null>;
  setIfCas(key: string, value: Buffer, ttlSeconds: number, cas: CasToken): Promise<CasToken | CasMismatch>;
  deleteIfCas(key: string, cas: CasToken): Promise<CasDeleteOutcome>;
  /** Asks the node who it is, within `timeoutMs`. Not reported as a call outcome. */
  probe(timeoutMs: number): Promise<NodeIdentity>;
  close(): void;
}

/** The health evidence in a failed call (see `failureKind`). */
export type FailureKind = 'timeout' | 'refused' | 'reset' | 'error';

/** The outcome of one ordinary call on node `index` of the pool: answered, or failed with evidence. */
export type OutcomeListener = (index: number, outcome: 'ok' | FailureKind) => void;

/** Where a call for a key goes, and the longest TTL allowed there (failover copies must not linger). */
export interface Placement {
  readonly node: PoolNode;
  readonly maxTtl?: number | undefined;
}

/**
 * Chooses the placement of a route key, given its owner's index (`pool.rank(key)` gives the rest of the
 * order). Returns null when no node may take the key: the call then fails at once with `NodeDownError`.
 * Called on every call: return prebuilt placements (`pool.home(i)`), never new objects.
 */
export type PlacementPolicy = (routeKey: string, ownerIndex: number) => Placement | null;

/**
 * Where every copy of one key goes, for a routing that keeps more than one (replicas, a node on its way home).
 * The pool carries it out; the routing decides it (from node health) and allocates it only when there is more
 * to do than the primary (a healthy cluster with one replica returns `pool.home(i)`-like prebuilt routes).
 */
export interface Route {
  /** Reads go here; the call's answer is its answer. */
  readonly primary: Placement;
  /**
   * Writes (set, add, delete, touch) also go here, issued with the primary's: the other replicas, the old
   * home of a key on its way back. Their failures are reported (`RouteEvent`), never the caller's error.
   */
  readonly copies: readonly Placement[];
  /**
   * A `get` that misses at the primary reads here next (the other replica, or the node that served the key
   * while the primary was away) and adds a value it finds at the primary (`add`: never over a newer value)
   * for at most `next.maxTtl` seconds (no `maxTtl`: nothing is copied).
   */
  readonly next: Placement | undefined;
}

/**
 * Where a call of `routeKey` goes. `single` is true for keys routed with another key (`StoreCallOptions.route`,
 * the `safe-` locks): they live on one node, so `copies` of a single route are where the same lock must also be
 * taken (an `add` wins only if it wins everywhere) while routing moves home. `write` says whether the call
 * writes. Null: nowhere, the call fails at once with `NodeDownError`.
 */
export type RoutePolicy = (routeKey: string, owner: number, single: boolean, write: boolean) => Route | null;

/** Side work of a routed call, told to the routing that asked for it. */
export type RouteEvent =
  | {
      kind: 'copy-failed';
      key: string;
      node: PoolNode;
      operation: string;
      error: unknown;
      /** The node may now hold an older value of the key (a write of an entry; not a lock's, nor a copy home). */
      stale: boolean;
    }
  | { kind: 'warm-copied'; key: string; node: PoolNode; from: PoolNode };

/** One cache's routing over one pool, carried by each call; a pool ignores a routing meant for another. */
export interface PoolRouting {
  readonly pool: NodePool;
  /** Where each call of a key goes (one node). Left out with `route`: the pool routes by that instead. */
  readonly place?: PlacementPolicy | undefined;
  /** Replicas and the way home: when given, the pool routes every call by it (and ignores `place`). */
  readonly route?: RoutePolicy | undefined;
  /** Told of a routed call's side work: copies that failed, values copied home. Must not throw. */
  readonly report?: ((event: RouteEvent) => void) | undefined;
}

export interface NodePool {
  /** The nodes, in configured order: an index into this array names a node everywhere in the seam. */
  readonly nodes: readonly PoolNode[];
  /** Index of the node that owns `routeKey` when every node is up. */
  ownerIndex(routeKey: string): number;
  /** Every node index for `routeKey`, owner first: the failover order. */
  rank(routeKey: string): number[];
  /** Node `index` as its own home (no TTL cap): built once, so placement policies allocate nothing. */
  home(index: number): Placement;
  /** Listens to the outcome of every ordinary call on every node. Returns an unsubscribe. */
  observeOutcomes(listener: OutcomeListener): () => void;
}
