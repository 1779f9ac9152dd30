/**
 * Safe mode for one cache, assembled: the health monitor (for `'auto'`, and for failover routing under
 * `'always'`), failover placement over the node pool, and the cap on concurrent loads. It watches the
 * pool it is given (any `NodePool`: never a transport's classes) and owns nothing it did not create: it
 * does not close the pool or the gutter, and it routes through a view (`route()`), never by changing the
 * pool. The cache asks it three questions: lock this miss? run this loader now or queue it? did this
 * error move the key?
 */
import type { StoreError } from '../errors.js';
import type { CacheEventEmitter, CacheStats } from '../events.js';
import { failureKind } from '../store/failures.js';
import type { NodePool, PoolRouting, RouteEvent } from '../store/node-pool.js';
import { RoutedStore } from '../store/routed-store.js';
import type { Store } from '../store/store.js';
import { HealthMonitor } from './health-monitor.js';
import { LoadLimiter } from './load-limiter.js';
import type { HealthTransition, NodeHealthSnapshot } from './node-health.js';
import { replicaRouting } from './replica-routing.js';
import { NodeReturns } from './returns.js';
import type { SafeModeSetting, SafeModeSettings } from './settings.js';

/** What `cache.safeMode` reports. */
export interface SafeModeStatus {
  setting: SafeModeSetting;
  /** Whether locks, failover and the load cap apply now. */
  active: boolean;
  /** Why it is on (the first trouble seen), when `setting` is `'auto'`. */
  reason: string | undefined;
  /** Epoch ms when it turned on, or undefined. */
  since: number | undefined;
  /** Loader calls queued behind `maxConcurrentLoads`. */
  queuedLoads: number;
  maxConcurrentLoads: number;
  /** Per-node health, when memcached nodes are monitored. */
  nodes: NodeHealthSnapshot[];
}

export class SafeModeController {
  readonly #setting: SafeModeSetting;
  readonly #monitor: HealthMonitor | undefined;
  readonly #limiter: LoadLimiter;
  readonly #routing: PoolRouting | undefined;
  readonly #canFailOver: boolean;
  readonly #returns: NodeReturns | undefined;
  /** When the controller was created: when safe mode turned on, for `'always'`. */
  readonly #createdAt = Date.now();

  /**
   * Watches `pool` (the cache store's `nodePool`; none: nothing to watch, safe mode never turns on by
   * itself) and fails its keys over to `gutter` with `failover: 'gutter'`. Counts replication's side work
   * in `stats` (the cache's counters) when given.
   */
  constructor(
    settings: SafeModeSettings,
    pool: NodePool | undefined,
    gutter: NodePool | undefined,
    events: CacheEventEmitter,
    stats?: CacheStats,
  ) {
    this.#setting = settings.safeMode;
    this.#limiter = new LoadLimiter(settings.maxConcurrentLoads);
    this.#canFailOver = settings.failover !== 'none';
    if (settings.safeMode === 'off' || pool === undefined) return;

    const returns = new NodeReturns(
      pool,
      {
        holdoffMs: settings.probeIntervalMs + settings.opTimeoutMs,
        warmReturnMs: settings.warmReturnMs,
        maxAwayKeys: settings.maxAwayKeys,
        lockTtl: settings.lockTtl,
      },
      events,
      stats,
    );
    const monitor = new HealthMonitor(
      pool,
      {
        probeIntervalMs: settings.probeIntervalMs,
        probeTimeoutMs: settings.probeTimeoutMs,
        downAfter: settings.downAfter,
        settleMs: settings.settleMs,
      },
      events,
      (index, transition) => onTransition(returns, index, transition),
    );
    this.#routing = {
      pool,
      route: replicaRouting(pool, monitor, returns, settings, gutter),
      report: (event) => this.#onRouteEvent(event, pool, events, stats),
    };
    this.#returns = returns;
    this.#monitor = monitor;
    monitor.start();
  }

  /** A routed call's side work: a copy that failed is listed for deletion on its node; copies home are counted. */
  #onRouteEvent(
    event: RouteEvent,
    pool: NodePool,
    events: CacheEventEmitter,
    stats: CacheStats | undefined,
  ): void {
    if (event.kind === 'warm-copied') {
      if (stats) stats.warmCopies++;
      events.emit('warm:copied', { key: event.key, node: event.node.id, from: event.from.id });
      return;
    }
    const index = pool.nodes.indexOf(event.node);
    if (index >= 0 && event.stale) {
      this.#returns?.copyFailed(index, event.key, this.#monitor?.isDown(index) === false);
    }
    if (stats) stats.replicaErrors++;
    events.emit('replica:error', {
      key: event.key,
      node: event.node.id,
      operation: event.operation,
      error: event.error,
    });
  }

  /** The cache's view of `store`: its calls carry this cache's failover routing down to the pool. */
  route(store: Store): Store {
    return this.#routing ? new RoutedStore(store, this.#routing) : store;
  }

  /** Loader calls queued behind `maxConcurrentLoads` now. */
  get queuedLoads(): number {
    return this.#limiter.queued;
  }

  get active(): boolean {
    return this.#setting === 'always' || (this.#setting === 'auto' && this.#monitor?.active === true);
  }

  /** Runs a loader call now, or queued behind the cap (at most `maxWaitMs`) while safe mode is on. */
  limitLoad<T>(task: () => Promise<T>, maxWaitMs: number): Promise<T> {
    return this.active ? this.#limiter.run(task, maxWaitMs) : task();
  }

  /**
   * Whether a call that failed fast is worth one more try: its node is now known down and failover sends
   * the key elsewhere, or a read met a connection broken under it (a restarted node; memjs reconnects;
   * only reads: a resent `add` that had landed would look like someone else's lock). Never after a
   * timeout: the call has waited its `opTimeoutMs` and loads directly (a second node hanging too would
   * double the wait), and never after node-down routing (no call was made; the answer would not change).
   */
  shouldRetry(error: StoreError): boolean {
    const kind = failureKind(error);
    if (error.node === undefined || kind === null || kind === 'timeout') return false;
    if (this.#canFailOver && this.#monitor?.isDownById(error.node)) return true;
    return error.operation === 'get' && kind === 'reset';
  }

  status(): SafeModeStatus {
    const active = this.active;
    return {
      setting: this.#setting,
      active,
      reason: this.#setting === 'auto' && active ? this.#monitor?.reason : undefined,
      since: this.#setting === 'always' ? this.#createdAt : active ? this.#monitor?.since : undefined,
      queuedLoads: this.#limiter.queued,
      maxConcurrentLoads: this.#limiter.max,
      nodes: this.#monitor?.nodes() ?? [],
    };
  }

  /** Stops the monitor. The pool and the gutter are closed by whoever created them. */
  close(): void {
    this.#monitor?.stop();
    this.#returns?.close();
  }
}

/** Routing's reaction to a node's health: remembered keys, the way home, the warm window. */
function onTransition(returns: NodeReturns, index: number, transition: HealthTransition): void {
  if (transition.kind === 'down') returns.nodeDown(index);
  else if (transition.kind === 'up') returns.nodeUp(index);
  else returns.nodeRestarted(index);
}
