/**
 * Failover routing: where the keys of a down node go. `'rehash'`: to the next node in their rendezvous
 * order (only the down node's keys move; they go home when it returns). `'gutter'`: to a separate small
 * pool. `'none'`: nowhere; they miss and the loader cap protects the database. With every node down,
 * `'rehash'` tries the owner if it refused connections (it may be back before the next probe, and a
 * refusal costs no wait), never if it hung. Copies written away from home live at most `failoverTtl`
 * seconds, so they cannot linger stale once the owner is back. "Nowhere" fails the call at once, without
 * a network round trip, until a probe (or an answered call) brings a node up.
 */
import type { NodePool, Placement, PlacementPolicy } from '../store/node-pool.js';
import type { HealthMonitor } from './health-monitor.js';
import type { FailoverMode } from './settings.js';

export function failoverPlacement(
  pool: NodePool,
  monitor: HealthMonitor,
  mode: FailoverMode,
  failoverTtl: number,
  gutter: NodePool | undefined,
): PlacementPolicy {
  // Every placement a policy can return, built once: routing allocates nothing per call.
  const away = (nodes: NodePool['nodes']): Placement[] =>
    nodes.map((node) => ({ node, maxTtl: failoverTtl }));
  const rehashed = away(pool.nodes);
  const guttered = gutter ? away(gutter.nodes) : [];
  return (routeKey, owner): Placement | null => {
    if (!monitor.isDown(owner)) return pool.home(owner);
    if (mode === 'none') return null;
    if (mode === 'gutter' && gutter) return guttered[gutter.ownerIndex(routeKey)] as Placement;
    for (const index of pool.rank(routeKey)) {
      if (!monitor.isDown(index)) return rehashed[index] as Placement;
    }
    // Every node is down. An owner that refused connections is tried anyway: a dead one refuses at once,
    // one that just came back (a restart) answers, is known up again at that call, and the locks work
    // again without waiting for the next probe. A hung owner would cost every call a full timeout:
    // nowhere, until a probe finds it answering.
    return monitor.downReason(owner) === 'refused' ? pool.home(owner) : null;
  };
}
