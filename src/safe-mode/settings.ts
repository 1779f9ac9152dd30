/** Safe mode's settings, as `createCache()` resolves them (src/options.ts documents and validates them). */

export type SafeModeSetting = 'always' | 'off' | 'auto';

/** Where a down node's keys go: see replica-routing.ts. */
export type FailoverMode = 'rehash' | 'gutter' | 'none';

export interface SafeModeSettings {
  safeMode: SafeModeSetting;
  probeIntervalMs: number;
  probeTimeoutMs: number;
  downAfter: number;
  settleMs: number;
  maxConcurrentLoads: number;
  failover: FailoverMode;
  failoverTtl: number;
  /** Nodes every entry is written to (1 to 3; at most the pool's size). */
  replicas: number;
  /** How long a node that came back warms its misses from where its keys were meanwhile, in ms; 0: never. */
  warmReturnMs: number;
  /** Keys per node remembered as written elsewhere while it was down; past it, the node is flushed on return. */
  maxAwayKeys: number;
  /** A call's own timeout, in ms: part of the holdoff before routing goes home. */
  opTimeoutMs: number;
  /** Seconds a `safe-` lock lives unless extended: how long locks stay doubled after a node is home. */
  lockTtl: number;
}
