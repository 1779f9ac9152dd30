/**
 * Safe mode for one cache, assembled: the health monitor (for `'auto'`, and for failover routing under
 * `'always'`), failover placement on the memcached pool, and the cap on concurrent loads. The cache asks
 * it three questions: lock this miss? run this loader now or queue it? did this error move the key?
 */
import type { StoreError } from '../errors.js';
import type { CacheEventEmitter } from '../events.js';
import type { ResolvedCacheOptions, SafeModeSetting } from '../options.js';
import { MemcachedStore } from '../store/memcached-store.js';
import type { Store } from '../store/store.js';
import { failoverPlacement } from './failover.js';
import { HealthMonitor } from './health-monitor.js';
import { LoadLimiter } from './load-limiter.js';
import { classifyFailure, type NodeHealthSnapshot } from './node-health.js';

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
  readonly #gutter: MemcachedStore | undefined;
  readonly #canFailOver: boolean;
  readonly #unobserve: (() => void) | undefined;
  /** When the controller was created: when safe mode turned on, for `'always'`. */
  readonly #createdAt = Date.now();

  constructor(options: ResolvedCacheOptions, store: Store, events: CacheEventEmitter) {
    this.#setting = options.safeMode;
    this.#limiter = new LoadLimiter(options.maxConcurrentLoads);
    this.#canFailOver = options.failover !== 'none';
    if (options.safeMode === 'off' || !(store instanceof MemcachedStore)) return;

    const monitor = new HealthMonitor(
      store.nodes,
      {
        probeIntervalMs: options.probeIntervalMs,
        probeTimeoutMs: options.probeTimeoutMs,
        downAfter: options.downAfter,
        settleMs: options.settleMs,
      },
      events,
    );
    if (options.failover === 'gutter') {
      this.#gutter = new MemcachedStore({
        servers: options.gutterServers,
        opTimeoutMs: options.opTimeoutMs,
        username: options.username,
        password: options.password,
      });
    }
    store.usePlacement(
      failoverPlacement(store, monitor, options.failover, options.failoverTtl, this.#gutter),
    );
    this.#unobserve = store.observeOutcomes((node, error) => monitor.observe(node, error));
    this.#monitor = monitor;
    monitor.start();
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
    const kind = classifyFailure(error);
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

  async close(): Promise<void> {
    this.#monitor?.stop();
    this.#unobserve?.();
    await this.#gutter?.close();
  }
}
