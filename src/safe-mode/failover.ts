/**
 * Failover routing: where the keys of a down node go. `'rehash'`: to the next node in their rendezvous
 * order (only the down node's keys move; they go home when it returns). `'gutter'`: to a separate small
 * pool. `'none'`: nowhere; they miss and the loader cap protects the database. With every node down,
 * `'rehash'` tries the owner (it may be back before the next probe). Copies written away from
 * home live at most `failoverTtl` seconds, so they cannot linger stale once the owner is back.
 */
import type { MemcachedNode } from '../store/memcached-node.js';
import type { MemcachedStore, Placement, PlacementPolicy } from '../store/memcached-store.js';
import type { HealthMonitor } from './health-monitor.js';

export type FailoverMode = 'rehash' | 'gutter' | 'none';

export function failoverPlacement(
  store: MemcachedStore,
  monitor: HealthMonitor,
  mode: FailoverMode,
  failoverTtl: number,
  gutter: MemcachedStore | undefined,
): PlacementPolicy {
  return (routeKey, owner): Placement | null => {
    if (!monitor.isDown(owner)) return store.home(owner);
    if (mode === 'none') return null;
    if (mode === 'gutter' && gutter) return { node: gutter.nodeFor(routeKey), maxTtl: failoverTtl };
    for (const index of store.rank(routeKey)) {
      if (!monitor.isDown(index)) return { node: store.nodes[index] as MemcachedNode, maxTtl: failoverTtl };
    }
    // Every node is down: try the owner anyway. A dead one refuses at once; one that just came back
    // (a restart) answers, is known up again at that call, and the locks work again without waiting
    // for the next probe.
    return store.home(owner);
  };
}
