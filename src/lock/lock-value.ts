/**
 * What the `safe-<key>` lock stores: the owner token, and what the holder expects the load to cost, so
 * waiters in any process can sleep through most of it. One line of UTF-8 text (ASCII with ASCII host
 * names, as 0.1's bare token was), readable by any client or transport:
 *
 *   sg1 <estimateMs|-> <startedAtMs> <token>
 *
 * `estimateMs`: what the key's loader cost last time (integer ms; `-` when unknown). `startedAtMs`: the
 * holder's wall clock when it took the lock (epoch ms), used only to bound how far into the load a late
 * waiter arrives (see `expectedFinish`). `token`: unique per process and acquisition; the owner-checked
 * release and heartbeat compare it. A value in any other shape (a 0.1 process stores the bare token, a
 * later version may store `sg2 ...`) is a token with no estimate.
 */

const FORMAT = /^sg1 (\d{1,9}|-) (\d{1,15}) (\S+)$/;

export interface LockValue {
  token: string;
  /** Expected duration of the holder's load in ms, or null when the holder does not know it. */
  estimateMs: number | null;
  /** The holder's Date.now() when it took the lock, or null (old format). */
  startedAtMs: number | null;
}

export function encodeLockValue(value: LockValue): Buffer {
  const estimate = value.estimateMs === null ? '-' : String(Math.max(0, Math.round(value.estimateMs)));
  return Buffer.from(`sg1 ${estimate} ${Math.round(value.startedAtMs ?? Date.now())} ${value.token}`, 'utf8');
}

export function decodeLockValue(bytes: Buffer): LockValue {
  const text = bytes.toString('utf8');
  const match = FORMAT.exec(text);
  if (!match) return { token: text, estimateMs: null, startedAtMs: null };
  const [, estimate, startedAt, token] = match as unknown as [string, string, string, string];
  return {
    token,
    estimateMs: estimate === '-' ? null : Number(estimate),
    startedAtMs: Number(startedAt),
  };
}

/** When a waiter that read `lock` at its own `nowMs` (Date.now()) can expect the value, relative to that read. */
export interface Expectation {
  /** Ms from the waiter's first sight of the lock to the expected finish. */
  finishInMs: number;
  /** The holder's estimate of the whole load: the scale of the window the waiter polls in. */
  estimateMs: number;
}

/**
 * The expected finish as a duration from the waiter's first sight of the lock, in the waiter's own monotonic
 * clock, so it survives clock jumps during the wait. The holder started no later than that sight, so
 * `estimateMs` from it is an upper bound that needs no shared clock. The holder's start narrows it for a
 * waiter arriving mid-load, clamped into [0, estimateMs]: a clock skew between hosts can then only move the
 * wake-up earlier (more fast polls, bounded by the window) or back towards that clock-free upper bound.
 */
export function expectedFinish(lock: LockValue, nowMs: number): Expectation | null {
  if (lock.estimateMs === null || lock.estimateMs <= 0) return null;
  const elapsed = lock.startedAtMs === null ? 0 : nowMs - lock.startedAtMs;
  const heldFor = Math.min(Math.max(elapsed, 0), lock.estimateMs);
  return { finishInMs: lock.estimateMs - heldFor, estimateMs: lock.estimateMs };
}
