/**
 * What we know about one node: up or down (and why), consecutive failures, when it last had
 * trouble (safe mode settles from there), and its identity (pid, uptime) to notice a restart: a node
 * that came back empty is as dangerous as a dead one, since all its keys miss at once.
 */
import type { FailureKind, NodeIdentity } from '../store/node-pool.js';

export type DownReason = 'refused' | 'hung' | 'error';
export type HealthTransition =
  | { kind: 'down'; reason: DownReason }
  | { kind: 'up'; downForMs: number }
  | { kind: 'restarted'; previousPid: number; pid: number };

export interface NodeHealthSnapshot {
  node: string;
  state: 'up' | 'down';
  reason: DownReason | undefined;
  consecutiveFailures: number;
  /** Epoch ms of the last failure, down or restart; -1 if never. */
  lastTroubleAt: number;
  pid: number | undefined;
}

export class NodeHealth {
  state: 'up' | 'down' = 'up';
  reason: DownReason | undefined;
  consecutiveFailures = 0;
  lastTroubleAt = Number.NEGATIVE_INFINITY;
  #downSince = 0;
  #identity: NodeIdentity | undefined;

  constructor(
    readonly id: string,
    private readonly downAfter: number,
  ) {}

  /**
   * A failed call or probe. Refused connections mark the node down at once; others after `downAfter`.
   * While down, a timeout or a refusal updates the reason (a refusing node that starts to hang must stop
   * being tried: failover routing reads it), without a new transition.
   */
  failure(kind: FailureKind, now: number): HealthTransition | null {
    this.consecutiveFailures++;
    this.lastTroubleAt = now;
    const reason: DownReason = kind === 'timeout' ? 'hung' : kind === 'refused' ? 'refused' : 'error';
    if (this.state === 'down') {
      if (reason !== 'error') this.reason = reason;
      return null;
    }
    if (kind !== 'refused' && this.consecutiveFailures < this.downAfter) return null;
    this.state = 'down';
    this.reason = reason;
    this.#downSince = now;
    return { kind: 'down', reason };
  }

  /** An ordinary call succeeded: the node answers, though only a probe can tell whether it restarted. */
  success(now: number): HealthTransition | null {
    this.consecutiveFailures = 0;
    if (this.state === 'up') return null;
    // Only tried while every node was down: it answers, so it is back (a probe still checks its identity).
    this.state = 'up';
    this.reason = undefined;
    this.lastTroubleAt = now;
    return { kind: 'up', downForMs: now - this.#downSince };
  }

  /** A probe answered with the node's identity: up again, and restarted if pid changed or uptime fell. */
  probed(identity: NodeIdentity, now: number): HealthTransition[] {
    const transitions: HealthTransition[] = [];
    const previous = this.#identity;
    this.#identity = identity;
    this.consecutiveFailures = 0;
    if (this.state === 'down') {
      this.state = 'up';
      this.reason = undefined;
      this.lastTroubleAt = now;
      transitions.push({ kind: 'up', downForMs: now - this.#downSince });
    }
    // A new pid, or an uptime that went backwards (same pid reused after a restart): it came back empty.
    if (previous && (identity.pid !== previous.pid || identity.uptime < previous.uptime)) {
      this.lastTroubleAt = now;
      transitions.push({ kind: 'restarted', previousPid: previous.pid, pid: identity.pid });
    }
    return transitions;
  }

  snapshot(): NodeHealthSnapshot {
    return {
      node: this.id,
      state: this.state,
      reason: this.reason,
      consecutiveFailures: this.consecutiveFailures,
      lastTroubleAt: Number.isFinite(this.lastTroubleAt) ? this.lastTroubleAt : -1,
      pid: this.#identity?.pid,
    };
  }
}
