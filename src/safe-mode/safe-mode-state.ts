/**
 * The safe-mode state machine: on at once when any node is in trouble, off only after every node has
 * been healthy for `settleMs`. Because every failure moves a node's "last trouble" forward, a node that
 * fails every other probe keeps safe mode on instead of toggling it each interval (hysteresis).
 */
import type { NodeHealth } from './node-health.js';

export class SafeModeState {
  active = false;
  reason: string | undefined;
  since = 0;

  constructor(private readonly settleMs: number) {}

  /** Turns safe mode on; returns true if it was off. */
  enter(reason: string, now: number): boolean {
    if (this.active) return false;
    this.active = true;
    this.reason = reason;
    this.since = now;
    return true;
  }

  /** Turns safe mode off if every node is up and untroubled for `settleMs`; returns true if it did. */
  settle(nodes: readonly NodeHealth[], now: number): boolean {
    if (!this.active) return false;
    const settled = nodes.every((n) => n.state === 'up' && now - n.lastTroubleAt >= this.settleMs);
    if (!settled) return false;
    this.active = false;
    this.reason = undefined;
    return true;
  }
}
