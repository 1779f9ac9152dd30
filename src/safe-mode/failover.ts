/**
 * Failover routing: where the keys of a down node go. `'rehash'`: to the next node in their rendezvous
 * order (only the down node's keys move; they go home when it returns). `'gutter'`: to a separate small
 * pool. `'none'`: nowhere; they miss and the loader cap protects the database. With every node down,
 * `'rehash'` tries the owner if it refused connections (it may be back before the next probe, and a
 * refusal costs no wait), never if it hung. Copies written away from home live at most `failoverTtl`
 * seconds, so they cannot linger stale once the owner is back. "Nowhere" fails the call at once, without
 * a network round trip, until a probe (or an answered call) brings a node up.
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
    // Every node is down. An owner that refused connections is tried anyway: a dead one refuses at once,
    // one that just came back (a restart) answers, is known up again at that call, and the locks work
    // again without waiting for the next probe. A hung owner would cost every call a full timeout:
    // nowhere, until a probe finds it answering.
    return monitor.downReason(owner) === 'refused' ? store.home(owner) : null;
  };
}
