/**
 * A pool of nodes with its own routing, for any transport: weighted rendezvous hashing over the nodes,
 * so a lock key routes with its data key (`route`) and losing a node moves only that node's keys. Where a
 * key goes when its owner is unavailable is not decided here: each call may bring a cache's routing
 * (`options.routing`, safe mode's failover placement); without one, every key goes to its owner.
 * A transport supplies the nodes (`createNode`); the pool turns their failures into health evidence.
 */
import { NodeDownError, type StoreError } from '../errors.js';
import { failureKind } from './failures.js';
import type { NodePool, OutcomeListener, Placement, PoolNode, PoolRouting, Route } from './node-pool.js';
import { RendezvousRouter } from './rendezvous.js';
import { capTtl, routedAdd, routedGet, routedWrite } from './route-calls.js';
import { routedAddWithCas, routedDeleteIfCas, routedGetWithCas, routedSetIfCas } from './route-cas.js';
import type { CasDeleteOutcome, CasMismatch, CasToken, CasValue, Store, StoreCallOptions } from './store.js';

/**
 * Creates node `index` of the pool. The node calls `report` with the outcome of every ordinary call
 * (null on success), not of probes: the monitor judges those itself and must not count a failure twice.
 */
export type NodeFactory<N extends PoolNode> = (
  index: number,
  report: (error: StoreError | null) => void,
) => N;

export class RendezvousPool<N extends PoolNode = PoolNode> implements Store, NodePool {
  /** The nodes, in configured order. */
  readonly nodes: readonly N[];
  readonly #router: RendezvousRouter;
  readonly #outcomeListeners = new Set<OutcomeListener>();
  /** Each node's own placement, built once: routing allocates nothing per call. */
  readonly #home: readonly Placement[];

  /** One node per weight, made by `createNode`. */
  constructor(weights: readonly number[], createNode: NodeFactory<N>) {
    this.nodes = weights.map((_, index) => createNode(index, (error) => this.#report(index, error)));
    this.#home = this.nodes.map((node) => ({ node }));
    this.#router = new RendezvousRouter(
      this.nodes.map((node, i) => ({ id: node.id, weight: weights[i] ?? 1 })),
    );
  }

  /** The pool is its own: safe mode watches it through this property (see `Store.nodePool`). */
  get nodePool(): NodePool {
    return this;
  }

  ownerIndex(routeKey: string): number {
    return this.#router.pick(routeKey);
  }

  home(index: number): Placement {
    return this.#home[index] as Placement;
  }

  rank(routeKey: string): number[] {
    return this.#router.rank(routeKey);
  }

  observeOutcomes(listener: OutcomeListener): () => void {
    this.#outcomeListeners.add(listener);
    return () => this.#outcomeListeners.delete(listener);
  }

  get(key: string, options?: StoreCallOptions): Promise<Buffer | null> {
    try {
      const route = this.#routeOf('get', key, options, false);
      if (route === undefined) return this.#place('get', key, options).node.get(key);
      return routedGet(key, route, options?.route === undefined, options?.routing?.report);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  set(key: string, value: Buffer, ttlSeconds: number, options?: StoreCallOptions): Promise<void> {
    return this.#write('set', key, options, (p) => p.node.set(key, value, capTtl(ttlSeconds, p.maxTtl)));
  }

  add(key: string, value: Buffer, ttlSeconds: number, options?: StoreCallOptions): Promise<boolean> {
    const add = (p: Placement) => p.node.add(key, value, capTtl(ttlSeconds, p.maxTtl));
    if (options?.route === undefined) return this.#write('add', key, options, add);
    // A key routed with another (a lock) is taken on every node its route names, or on none.
    try {
      const route = this.#routeOf('add', key, options, true);
      if (route === undefined) return add(this.#place('add', key, options));
      return routedAdd(key, route, options.routing?.report, add);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  delete(key: string, options?: StoreCallOptions): Promise<boolean> {
    return this.#write('delete', key, options, (p) => p.node.delete(key));
  }

  touch(key: string, ttlSeconds: number, options?: StoreCallOptions): Promise<boolean> {
    return this.#write('touch', key, options, (p) => p.node.touch(key, capTtl(ttlSeconds, p.maxTtl)));
  }

  getWithCas(key: string, options?: StoreCallOptions): Promise<CasValue | null> {
    return this.#cas(
      'get',
      key,
      options,
      false,
      (p) => p.node.getWithCas(key),
      (route, single) => routedGetWithCas(key, route, single),
    );
  }

  addWithCas(
    key: string,
    value: Buffer,
    ttlSeconds: number,
    options?: StoreCallOptions,
  ): Promise<CasToken | null> {
    return this.#cas(
      'add',
      key,
      options,
      true,
      (p) => p.node.addWithCas(key, value, capTtl(ttlSeconds, p.maxTtl)),
      (route, single, report) => routedAddWithCas(key, value, ttlSeconds, single, route, report),
    );
  }

  setIfCas(
    key: string,
    value: Buffer,
    ttlSeconds: number,
    cas: CasToken,
    options?: StoreCallOptions,
  ): Promise<CasToken | CasMismatch> {
    return this.#cas(
      'set',
      key,
      options,
      true,
      (p) => p.node.setIfCas(key, value, capTtl(ttlSeconds, p.maxTtl), cas),
      (route, single, report) => routedSetIfCas(key, value, ttlSeconds, cas, single, route, report),
    );
  }

  deleteIfCas(key: string, cas: CasToken, options?: StoreCallOptions): Promise<CasDeleteOutcome> {
    return this.#cas(
      'delete',
      key,
      options,
      true,
      (p) => p.node.deleteIfCas(key, cas),
      (route, single, report) => routedDeleteIfCas(key, cas, single, route, report),
    );
  }

  async close(): Promise<void> {
    for (const node of this.nodes) node.close();
  }

  #report(index: number, error: StoreError | null): void {
    const outcome = error === null ? 'ok' : failureKind(error);
    if (outcome === null) return;
    for (const listener of this.#outcomeListeners) listener(index, outcome);
  }

  /** A write: to every node its route names, or to its one placement. */
  #write<T>(
    operation: string,
    key: string,
    options: StoreCallOptions | undefined,
    write: (placement: Placement) => Promise<T>,
  ): Promise<T> {
    try {
      const route = this.#routeOf(operation, key, options, true);
      if (route === undefined) return write(this.#place(operation, key, options));
      const entry = options?.route === undefined;
      return routedWrite(operation, key, entry, route, options?.routing?.report, write);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A compare-and-swap call: at its one placement, or decided by its route's primary (route-cas.ts). */
  #cas<T>(
    operation: string,
    key: string,
    options: StoreCallOptions | undefined,
    write: boolean,
    placed: (placement: Placement) => Promise<T>,
    routed: (route: Route, single: boolean, report: PoolRouting['report']) => Promise<T>,
  ): Promise<T> {
    try {
      const route = this.#routeOf(operation, key, options, write);
      if (route === undefined) return placed(this.#place(operation, key, options));
      return routed(route, options?.route !== undefined, options?.routing?.report);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The route of a call whose routing is this pool's and routes (`routing.route`); undefined otherwise (the
   * call is placed by `#place`). Throws `NodeDownError` for a route nowhere: the callers reject with it.
   */
  #routeOf(
    operation: string,
    key: string,
    options: StoreCallOptions | undefined,
    write: boolean,
  ): Route | undefined {
    const routing = options?.routing;
    if (routing?.route === undefined || routing.pool !== this) return undefined;
    const routeKey = options?.route ?? key;
    const owner = this.#router.pick(routeKey);
    const route = routing.route(routeKey, owner, options?.route !== undefined, write);
    if (!route) throw new NodeDownError(operation, (this.nodes[owner] as N).id);
    return route;
  }

  #place(operation: string, key: string, options: StoreCallOptions | undefined): Placement {
    const routeKey = options?.route ?? key;
    const owner = this.#router.pick(routeKey);
    const routing = options?.routing;
    // A routing made for another pool (this one is a gutter, or a second pool behind a wrapper) is not ours.
    if (routing?.place === undefined || routing.pool !== this) return this.home(owner);
    const placement = routing.place(routeKey, owner);
    if (!placement) throw new NodeDownError(operation, (this.nodes[owner] as N).id);
    return placement;
  }
}
