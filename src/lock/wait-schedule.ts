/**
 * When a waiter reads next: a pure function of what it knows, so the schedule is unit-tested without time.
 *
 * With an expectation (the holder published what the load cost last time):
 *
 *   0 ── sleep ──▶ finish − spread − fast ── fast polls ──▶ finish + spread + fast ── backoff ──▶
 *
 * `spread` is SPREAD × the estimate: a load may take half or one and a half times its last cost and the
 * waiter still sees the value within one fast interval. The fast interval is FAST_FRACTION of the estimate
 * (never below `pollMinMs`, never above `pollMaxMs`), so the window costs about the same number of reads
 * whatever the loader's cost: ~2 × SPREAD / FAST_FRACTION = 40 at most, about half of that when the load
 * takes its usual time. Without an expectation, or once the window has passed (the holder is late or dead),
 * 0.1's capped backoff: `pollMinMs` × `pollFactor`^n with jitter, capped at `pollMaxMs` (also jittered).
 *
 * Every delay is jittered, at most SLEEP_CAP_MS (the lock is re-read at least that often), and never past
 * the end of the wait budget.
 */
import type { Expectation } from './lock-value.js';

/** How far a load may stray from its last cost, as a fraction of it, and still be met by fast polls. */
export const SPREAD = 0.5;
/** Fast poll interval as a fraction of the estimate: the lateness allowed, relative to the load. */
export const FAST_FRACTION = 0.025;
/** Longest single sleep, in ms. */
export const SLEEP_CAP_MS = 1000;

export interface PollTiming {
  minMs: number;
  maxMs: number;
  factor: number;
}

export interface ScheduleInput {
  /** What the holder published, relative to the waiter's first sight of the lock; null when unknown. */
  expectation: Expectation | null;
  /** Ms since the waiter's first sight of the lock. */
  elapsedMs: number;
  /** Ms left of the wait budget. */
  remainingMs: number;
  /** Backoff polls made so far (the exponent of the backoff). */
  backoffPolls: number;
  poll: PollTiming;
  /** A random number in [0, 1): the jitter. */
  random: number;
}

export type Phase = 'sleep' | 'fast' | 'backoff';

export interface NextPoll {
  phase: Phase;
  delayMs: number;
}

export function nextPoll(input: ScheduleInput): NextPoll {
  const { phase, delayMs } = unbounded(input);
  return { phase, delayMs: Math.max(0, Math.min(delayMs, SLEEP_CAP_MS, input.remainingMs)) };
}

function unbounded({ expectation, elapsedMs, backoffPolls, poll, random }: ScheduleInput): NextPoll {
  if (expectation) {
    const fast = fastIntervalMs(expectation.estimateMs, poll);
    const spread = SPREAD * expectation.estimateMs;
    const windowStart = expectation.finishInMs - spread - fast;
    const windowEnd = expectation.finishInMs + spread + fast;
    // Sleeps end a little early (jitter downwards), so no waiter wakes after the window opened.
    if (elapsedMs < windowStart)
      return { phase: 'sleep', delayMs: (windowStart - elapsedMs) * (1 - 0.1 * random) };
    if (elapsedMs <= windowEnd)
      return { phase: 'fast', delayMs: Math.min(fast * (0.8 + 0.4 * random), poll.maxMs) };
  }
  // 0.1's formula (p-retry's): random in [1, 2) times the exponential step, then the cap, itself jittered
  // (-20%) so that waiters which reached it do not poll in lockstep.
  const step = poll.minMs * poll.factor ** backoffPolls * (1 + random);
  return { phase: 'backoff', delayMs: Math.min(step, poll.maxMs * (1 - 0.2 * random)) };
}

/** The fast poll interval for a load expected to take `estimateMs`. */
export function fastIntervalMs(estimateMs: number, poll: PollTiming): number {
  return Math.min(Math.max(estimateMs * FAST_FRACTION, poll.minMs), poll.maxMs);
}
