/**
 * The health monitor of one cache: probes every memcached node each `probeIntervalMs` (stats: pid and
 * uptime, with its own short timeout) and takes the outcome of every ordinary call as evidence too, so
 * a node that refuses connections is known down at the first refused call, not a probe later. It drives
 * the safe-mode state machine and emits node and safe-mode events.
 */
import type { StoreError } from '../errors.js';
import type { CacheEventEmitter } from '../events.js';
import type { MemcachedNode } from '../store/memcached-node.js';
import {
  classifyFailure,
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
  readonly #nodes: readonly MemcachedNode[];
  readonly #health: readonly NodeHealth[];
  readonly #byNode: Map<MemcachedNode, NodeHealth>;
  readonly #state: SafeModeState;
  readonly #options: HealthMonitorOptions;
  readonly #events: CacheEventEmitter;
  readonly #probing = new Set<MemcachedNode>();
  #timer: NodeJS.Timeout | undefined;

  constructor(nodes: readonly MemcachedNode[], options: HealthMonitorOptions, events: CacheEventEmitter) {
    this.#nodes = nodes;
    this.#health = nodes.map((n) => new NodeHealth(n.id, options.downAfter));
    this.#byNode = new Map(nodes.map((n, i) => [n, this.#health[i] as NodeHealth]));
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

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
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

  /** Passive evidence: the outcome of an ordinary call. */
  observe(node: MemcachedNode, error: StoreError | null): void {
    const health = this.#byNode.get(node);
    if (!health) return;
    if (error === null) {
      this.#apply(health, [health.success(Date.now())]);
      return;
    }
    const kind = classifyFailure(error);
    if (kind) this.#apply(health, [health.failure(kind, Date.now())]);
  }

  /** One round of probes; a node whose previous probe is still out is skipped. */
  probeAll(): void {
    for (const node of this.#nodes) {
      if (this.#probing.has(node)) continue;
      this.#probing.add(node);
      const health = this.#byNode.get(node) as NodeHealth;
      node
        .probe(this.#options.probeTimeoutMs)
        .then(
          (identity) => this.#apply(health, health.probed(identity, Date.now())),
          (error: StoreError) =>
            this.#apply(health, [health.failure(classifyFailure(error) ?? 'error', Date.now())]),
        )
        .finally(() => this.#probing.delete(node));
    }
    if (this.#state.settle(this.#health, Date.now())) {
      this.#events.emit('safe-mode:off', { activeForMs: Date.now() - this.#state.since });
    }
  }

  #apply(health: NodeHealth, transitions: Array<HealthTransition | null>): void {
    for (const t of transitions) {
      if (!t) continue;
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
