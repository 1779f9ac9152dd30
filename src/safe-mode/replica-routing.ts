/**
 * The route of every call of a cache over its pool (node-pool.ts `Route`): replicas, failover, and the way
 * back home. For a key with rendezvous order `order` and `replicas: N`, its replica set is `order[0..N)`:
 *
 * - Reads go to the first *usable* node of the order (not down, not returning): a replica while one is,
 *   else the failover node (`'rehash'`: the next usable node, copies capped at `failoverTtl`; `'gutter'`:
 *   the gutter pool; `'none'`: nowhere). A miss there reads the next usable node when that is another
 *   replica (always: a restarted or evicting replica finds the other copy), or when the node is warming
 *   after a return (the node that served its keys meanwhile); a value found is copied home with `add`.
 * - Writes of entries go to every replica that is up or returning, issued together; a replica that is down
 *   misses the write, and `NodeReturns` remembers the key to delete it there before routing goes home.
 *   While the first replica is warming, writes also reach the node that served its keys meanwhile, so a
 *   later warm read there cannot find a value older than the write.
 * - Keys routed with another key (`route`: the `safe-` locks) live on one node, the first node of the
 *   order that is not down, so the lock routes with the data. From that node's return until a lock taken
 *   away before it cannot be held any more (the holdoff, then `lockTtl`), a lock is taken where the away
 *   routing takes it *and* at home (`add` must win on both), read on either, released and extended on both:
 *   processes still routing away and processes already home each meet it, so one key has one lock
 *   cluster-wide across the switch.
 *
 * With every node down, the owner is still tried if it refused connections (a refusal costs no wait, and a
 * restarted owner answers and is known up at that call); a hung owner is not: the call fails at once with
 * `NodeDownError` until a probe finds it answering. Its keys were then served nowhere else, so on its
 * return it needs no holdoff (`NodeReturns.servedElsewhere` is what tells). With every node healthy and
 * one replica, every call gets its owner's prebuilt route: nothing allocated.
 */
import type { NodePool, Placement, PoolNode, Route, RoutePolicy } from '../store/node-pool.js';
import type { HealthMonitor } from './health-monitor.js';
import type { NodeReturns } from './returns.js';
import type { FailoverMode } from './settings.js';

export interface RouteSettings {
  replicas: number;
  failover: FailoverMode;
  failoverTtl: number;
}

export function replicaRouting(
  pool: NodePool,
  monitor: HealthMonitor,
  returns: NodeReturns,
  settings: RouteSettings,
  gutter: NodePool | undefined,
): RoutePolicy {
  const replicas = Math.min(settings.replicas, pool.nodes.length);
  const cap = (nodes: readonly PoolNode[]): Placement[] =>
    nodes.map((node) => ({ node, maxTtl: settings.failoverTtl }));
  // Built once: a node as a failover target (TTL capped), the gutter's nodes, each node's plain route.
  const away = cap(pool.nodes);
  const guttered = gutter ? cap(gutter.nodes) : [];
  const homeRoutes: Route[] = pool.nodes.map((_, i) => ({
    primary: pool.home(i),
    copies: [],
    next: undefined,
  }));
  const down = (i: number) => monitor.isDown(i);
  const usable = (i: number) => !monitor.isDown(i) && !returns.returning[i];
  const troubled = (i: number) =>
    down(i) ||
    returns.returning[i] === true ||
    returns.warming[i] === true ||
    returns.lockTransition[i] === true;

  return (routeKey, owner, single, write): Route | null => {
    // The hit path: a healthy owner that is the key's only copy, or a lock key's node.
    if ((replicas === 1 || single) && !troubled(owner)) return homeRoutes[owner] as Route;
    const order = pool.rank(routeKey);
    const inSet = (i: number) => order.indexOf(i) < replicas;
    const placement = (i: number): Placement => (inSet(i) ? pool.home(i) : (away[i] as Placement));
    const first = order.find((i) => !down(i));
    // Every node down (rehash): the owner is the only node tried, so only the other replicas were passed by.
    const ownerOnly = first === undefined && settings.failover === 'rehash';
    for (let r = 0; r < replicas; r++) {
      const i = order[r] as number;
      if (!down(i) || (ownerOnly && i === owner)) continue;
      returns.servedElsewhere(i);
      if (write && !single) returns.missed(i, routeKey);
    }
    if ((first === undefined || !inSet(first)) && settings.failover !== 'rehash') {
      if (settings.failover === 'none' || !gutter) return null;
      return { primary: guttered[gutter.ownerIndex(routeKey)] as Placement, copies: [], next: undefined };
    }
    if (first === undefined) {
      // Every node down: an owner that refused is tried (a restarted one answers); a hung one is not.
      return monitor.downReason(owner) === 'refused' ? (homeRoutes[owner] as Route) : null;
    }
    // `first` may be returning: then the key is served where the away routing serves it, until it is home.
    const serving = usable(first) ? first : (order.slice(order.indexOf(first) + 1).find(usable) ?? first);
    const primary = placement(serving);
    if (single) {
      // While its node is on the way home, a lock is taken, read and released on both nodes: see the header.
      if (serving !== first) return { primary, copies: [placement(first)], next: placement(first) };
      const awayNode = returns.lockTransition[first]
        ? order.slice(order.indexOf(first) + 1).find(usable)
        : undefined;
      if (awayNode === undefined) return homeRoutes[first] as Route;
      return { primary, copies: [placement(awayNode)], next: placement(awayNode) };
    }
    const source = order.slice(order.indexOf(serving) + 1).find(usable);
    const warming = returns.warming[serving] === true;
    if (!write) {
      const readNext = source !== undefined && ((inSet(source) && inSet(serving)) || warming);
      // Reads ignore the TTL cap of an away placement: the node's plain route does.
      return readNext
        ? { primary, copies: [], next: away[source] as Placement }
        : (homeRoutes[serving] as Route);
    }
    const copies: Placement[] = [];
    for (const i of order) {
      const copy = i !== serving && !down(i) && (inSet(i) || i === first);
      if (copy) copies.push(placement(i));
    }
    if (warming && source !== undefined && !inSet(source)) copies.push(away[source] as Placement);
    return { primary, copies, next: undefined };
  };
}
