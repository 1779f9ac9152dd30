/**
 * When a waiter reads next: a pure function of what it knows, so the schedule is unit-tested without time.
 *
 * With an expectation (the holder published what the load cost last time):
 *
 *   0 ── sleep ──▶ finish − spread − 2·fast ── fast polls ──▶ finish + spread + 2·fast ── backoff ──▶
 *
 * `spread` is SPREAD × the estimate: a load may take half or one and a half times its last cost and the
 * waiter still sees the value within one poll interval. The interval is `fast` (FAST_FRACTION of the
 * estimate, at least MIN_FAST_MS, at most `pollMaxMs`: 2 ms for a 200 ms load) at the expected finish,
 * growing linearly to 1 + EDGE_GROWTH times that at the edges of the window, where a finish is less likely:
 * the polls gather where the value most likely lands. The window then costs about the same number of reads
 * whatever the loader's cost: 2 × ln(1 + EDGE_GROWTH) / EDGE_GROWTH × SPREAD / FAST_FRACTION ≈ 46 polls in
 * all, half of that when the load takes its usual time (~150 reads per waited second in the bench).
 *
 * Without an expectation (nobody knows what the key costs), the first BLIND_WINDOW_MS of the wait are polled
 * every BLIND_POLL_MS (at most `pollMaxMs`), since most loads end within it: the waiter sees the value within
 * about one such interval, at ~167 data reads per second, which with the lock's own re-reads (one per
 * `pollMaxMs`, 25 per second by default) stays within the budget of 200 reads per waited second. After that, or once an expectation's
 * window has passed (the holder is late or dead), 0.1's capped backoff: `pollMinMs` × `pollFactor`^n with
 * jitter, capped at `pollMaxMs`.
 *
 * Every delay is jittered, at most SLEEP_CAP_MS (the lock is re-read at least that often), and never past
 * the end of the wait budget.
 */
import type { Expectation } from '../lock/lock-value.js';

/** How far a load may stray from its last cost, as a fraction of it, and still be met by fast polls. */
export const SPREAD = 0.5;
/** Fast poll interval at the expected finish, as a fraction of the estimate (2 ms for a 200 ms load). */
export const FAST_FRACTION = 0.01;
/** How much longer than at the expected finish the poll interval is at the window's edges, less one. */
export const EDGE_GROWTH = 3;
/** Shortest fast poll interval, in ms, however cheap the load. */
export const MIN_FAST_MS = 1;
/**
 * Poll interval, in ms, of a waiter that knows nothing of the load, for the first BLIND_WINDOW_MS. With 8
 * waiting processes the last of them sees the value about 0.9 interval after it landed (8 ms measured
 * p99 − loader 10.4 ms there; 6 ms keeps it under 10 ms with room for a busy host).
 */
export const BLIND_POLL_MS = 6;
/** How long a waiter without an expectation polls every BLIND_POLL_MS before it backs off, in ms. */
export const BLIND_WINDOW_MS = 1000;
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
    const edge = spread + 2 * fast; // the window: finish ± edge
    // Sleeps end a little early (jitter downwards), so no waiter wakes after the window opened.
    if (elapsedMs < expectation.finishInMs - edge) {
      const delayMs = (expectation.finishInMs - edge - elapsedMs) * (1 - 0.1 * random);
      return { phase: 'sleep', delayMs };
    }
    const offset = Math.abs(elapsedMs - expectation.finishInMs);
    if (offset <= edge) {
      const interval = fast * (1 + EDGE_GROWTH * Math.min(offset / spread, 1));
      return { phase: 'fast', delayMs: Math.min(interval * (0.8 + 0.4 * random), poll.maxMs) };
    }
  }
  if (!expectation && elapsedMs < BLIND_WINDOW_MS) {
    return { phase: 'fast', delayMs: Math.min(BLIND_POLL_MS, poll.maxMs) * (0.8 + 0.4 * random) };
  }
  // 0.1's formula (p-retry's): random in [1, 2) times the exponential step, then the cap, itself jittered
  // (-20%) so that waiters which reached it do not poll in lockstep.
  const step = poll.minMs * poll.factor ** backoffPolls * (1 + random);
  return { phase: 'backoff', delayMs: Math.min(step, poll.maxMs * (1 - 0.2 * random)) };
}

/** The poll interval at the expected finish of a load expected to take `estimateMs`. */
export function fastIntervalMs(estimateMs: number, poll: PollTiming): number {
  return Math.min(Math.max(estimateMs * FAST_FRACTION, MIN_FAST_MS), poll.maxMs);
}
