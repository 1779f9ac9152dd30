/** Safe mode's settings, as `createCache()` resolves them (src/options.ts documents and validates them). */

export type SafeModeSetting = 'always' | 'off' | 'auto';

/** Where a down node's keys go: see failover.ts. */
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
}
