/**
 * The health monitor of one cache: probes every node of the pool each `probeIntervalMs` (memcached:
 * stats, for pid and uptime, with its own short timeout) and takes the outcome of every ordinary call
 * as evidence too (`pool.observeOutcomes`), so a node that refuses connections is known down at the
 * first refused call, not a probe later. It drives the safe-mode state machine and emits node and
 * safe-mode events.
 */
import type { StoreError } from '../errors.js';
import type { CacheEventEmitter } from '../events.js';
import { failureKind } from '../store/failures.js';
import type { FailureKind, NodePool, PoolNode } from '../store/node-pool.js';
import {
  type DownReason,
  type HealthTransition,
  NodeHealth,
  type NodeHealthSnapshot,
} from './node-health.js';
import { SafeModeState } from './safe-mode-state.js';

export interface HealthMonitorOptions {
  probeIntervalMs: number;
  probeTimeoutMs: number;
  /** Consecutive failures (timeouts, errors) that make a node down; a refused connection does at once. */
  downAfter: number;
  settleMs: number;
}

export class HealthMonitor {
  readonly #nodes: readonly PoolNode[];
  /** One per node, in the pool's order: a node's index names it in outcomes and placements. */
  readonly #health: readonly NodeHealth[];
  readonly #state: SafeModeState;
  readonly #options: HealthMonitorOptions;
  readonly #events: CacheEventEmitter;
  readonly #probing = new Set<PoolNode>();
  readonly #unobserve: () => void;
  #timer: NodeJS.Timeout | undefined;

  readonly #onTransition: ((index: number, transition: HealthTransition) => void) | undefined;

  /**
   * Watches `pool` from now on (its call outcomes); `start()` adds the probes. `onTransition` hears each
   * node's transitions (down, up, restarted) before the events do: routing reacts to them.
   */
  constructor(
    pool: NodePool,
    options: HealthMonitorOptions,
    events: CacheEventEmitter,
    onTransition?: (index: number, transition: HealthTransition) => void,
  ) {
    this.#onTransition = onTransition;
    this.#nodes = pool.nodes;
    this.#health = pool.nodes.map((n) => new NodeHealth(n.id, options.downAfter));
    this.#unobserve = pool.observeOutcomes((index, outcome) => this.observe(index, outcome));
    this.#state = new SafeModeState(options.settleMs);
    this.#options = options;
    this.#events = events;
  }

  /** Probes now, then every interval. The timer does not keep the process alive. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.probeAll(), this.#options.probeIntervalMs);
    this.#timer.unref();
    this.probeAll();
  }

  /** Stops probing and watching the pool's calls. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#unobserve();
  }

  get active(): boolean {
    return this.#state.active;
  }

  get reason(): string | undefined {
    return this.#state.reason;
  }

  get since(): number {
    return this.#state.since;
  }

  isDown(index: number): boolean {
    return this.#health[index]?.state === 'down';
  }

  /** Why node `index` is down (its latest failure while down), or undefined while it is up. */
  downReason(index: number): DownReason | undefined {
    return this.#health[index]?.reason;
  }

  /** Whether the node with this id (`host:port`) is down. */
  isDownById(id: string): boolean {
    return this.#health.some((h) => h.id === id && h.state === 'down');
  }

  nodes(): NodeHealthSnapshot[] {
    return this.#health.map((h) => h.snapshot());
  }

  /** Passive evidence: the outcome of an ordinary call on node `index`. */
  observe(index: number, outcome: 'ok' | FailureKind): void {
    const health = this.#health[index];
    if (!health) return;
    // Runs on every call (the hit path too): nothing is allocated unless the node's state changes.
    const transition = outcome === 'ok' ? health.success(Date.now()) : health.failure(outcome, Date.now());
    if (transition) this.#apply(index, [transition]);
  }

  /** One round of probes; a node whose previous probe is still out is skipped. */
  probeAll(): void {
    for (const [index, node] of this.#nodes.entries()) {
      if (this.#probing.has(node)) continue;
      this.#probing.add(node);
      const health = this.#health[index] as NodeHealth;
      node
        .probe(this.#options.probeTimeoutMs)
        .then(
          (identity) => this.#apply(index, health.probed(identity, Date.now())),
          (error: StoreError) =>
            this.#apply(index, [health.failure(failureKind(error) ?? 'error', Date.now())]),
        )
        .finally(() => this.#probing.delete(node));
    }
    if (this.#state.settle(this.#health, Date.now())) {
      this.#events.emit('safe-mode:off', { activeForMs: Date.now() - this.#state.since });
    }
  }

  #apply(index: number, transitions: Array<HealthTransition | null>): void {
    const health = this.#health[index] as NodeHealth;
    for (const t of transitions) {
      if (!t) continue;
      this.#onTransition?.(index, t);
      const now = Date.now();
      if (t.kind === 'down') {
        this.#events.emit('node:down', { node: health.id, reason: t.reason });
        this.#enter(`node ${health.id} down (${t.reason})`, now);
      } else if (t.kind === 'up') {
        this.#events.emit('node:up', { node: health.id, downForMs: t.downForMs });
      } else {
        this.#events.emit('node:restarted', { node: health.id, previousPid: t.previousPid, pid: t.pid });
        this.#enter(`node ${health.id} restarted empty`, now);
      }
    }
  }

  #enter(reason: string, now: number): void {
    if (this.#state.enter(reason, now)) this.#events.emit('safe-mode:on', { reason });
  }
}
