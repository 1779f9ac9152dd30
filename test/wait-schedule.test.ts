/** The waiter's schedule as a pure function: given what it knows and how long it waited, the next delay. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectedFinish } from '../src/lock/lock-value.js';
import {
  BLIND_POLL_MS,
  BLIND_WINDOW_MS,
  EDGE_GROWTH,
  fastIntervalMs,
  MIN_FAST_MS,
  nextPoll,
  type ScheduleInput,
  SLEEP_CAP_MS,
  SPREAD,
} from '../src/read-through/wait-schedule.js';

const poll = { minMs: 5, maxMs: 40, factor: 1.5 };
const input = (over: Partial<ScheduleInput>): ScheduleInput => ({
  expectation: null,
  elapsedMs: 0,
  remainingMs: 10_000,
  backoffPolls: 0,
  poll,
  random: 0.5,
  ...over,
});
const known = (finishInMs: number, estimateMs = finishInMs) => ({ finishInMs, estimateMs });

describe('nextPoll without an estimate', () => {
  it('polls every BLIND_POLL_MS (±20%, at most pollMaxMs) for the first BLIND_WINDOW_MS of the wait', () => {
    expect(nextPoll(input({ random: 0.5 }))).toEqual({ phase: 'fast', delayMs: BLIND_POLL_MS });
    expect(nextPoll(input({ random: 0, elapsedMs: 500 })).delayMs).toBeCloseTo(0.8 * BLIND_POLL_MS);
    expect(nextPoll(input({ random: 0.99, elapsedMs: 999 })).delayMs).toBeCloseTo(1.196 * BLIND_POLL_MS);
    const slow = { ...poll, maxMs: 4 };
    expect(nextPoll(input({ poll: slow, random: 0.5 })).delayMs).toBe(4);
    // Within the budget of 200 reads per waited second, with the lock re-read once per pollMaxMs.
    expect(1000 / BLIND_POLL_MS + 1000 / poll.maxMs).toBeLessThanOrEqual(200);
  });

  it('then backs off as 0.1 did: from pollMinMs by pollFactor with jitter in [1, 2), capped at pollMaxMs (-20% jitter)', () => {
    const late = BLIND_WINDOW_MS;
    expect(nextPoll(input({ elapsedMs: late, random: 0 }))).toEqual({ phase: 'backoff', delayMs: 5 });
    expect(nextPoll(input({ elapsedMs: late, random: 0.99 })).delayMs).toBeCloseTo(9.95);
    expect(nextPoll(input({ elapsedMs: late, backoffPolls: 2, random: 0 })).delayMs).toBeCloseTo(11.25);
    expect(nextPoll(input({ elapsedMs: late, backoffPolls: 20, random: 0 })).delayMs).toBe(40);
    // The cap is jittered too.
    expect(nextPoll(input({ elapsedMs: late, backoffPolls: 20, random: 0.5 })).delayMs).toBe(36);
  });
});

describe('nextPoll with an estimate', () => {
  const e = known(200); // a 200 ms load expected, seen from its start: 2 ms polls at 200 ms, window ±104 ms
  it('sleeps until the window opens (finish − spread − 2 fast intervals), ending early rather than late', () => {
    expect(nextPoll(input({ expectation: e, random: 0 }))).toEqual({ phase: 'sleep', delayMs: 96 });
    const jittered = nextPoll(input({ expectation: e, random: 0.99 }));
    expect(jittered.delayMs).toBeGreaterThan(86);
    expect(jittered.delayMs).toBeLessThan(96);
    expect(nextPoll(input({ expectation: e, elapsedMs: 60, random: 0 })).delayMs).toBe(36);
  });

  it('polls fastest at the expected finish, 1 + EDGE_GROWTH times as slow at the edges (±20% jitter)', () => {
    const at = (elapsedMs: number, random = 0.5) => nextPoll(input({ expectation: e, elapsedMs, random }));
    expect(at(200)).toEqual({ phase: 'fast', delayMs: 2 });
    expect(at(150).delayMs).toBeCloseTo(2 * (1 + EDGE_GROWTH / 2));
    expect(at(250).delayMs).toBeCloseTo(2 * (1 + EDGE_GROWTH / 2));
    expect(at(96)).toEqual({ phase: 'fast', delayMs: 2 * (1 + EDGE_GROWTH) });
    expect(at(304)).toEqual({ phase: 'fast', delayMs: 2 * (1 + EDGE_GROWTH) });
    expect(at(200, 0).delayMs).toBeCloseTo(1.6);
    expect(at(200, 0.99).delayMs).toBeCloseTo(2.392);
  });

  it('spends about 46 polls on the whole window, half of them before the expected finish', () => {
    const polls = (from: number, to: number) => {
      let count = 0;
      for (let t = from; t < to; count++) t += nextPoll(input({ expectation: e, elapsedMs: t })).delayMs;
      return count;
    };
    expect(polls(96, 200)).toBeGreaterThanOrEqual(20);
    expect(polls(96, 200)).toBeLessThanOrEqual(26);
    expect(polls(96, 304)).toBeLessThanOrEqual(50);
  });

  it('falls back to the backoff once the window has passed (holder late, or dead)', () => {
    expect(nextPoll(input({ expectation: e, elapsedMs: 305, random: 0 }))).toEqual({
      phase: 'backoff',
      delayMs: 5,
    });
  });

  it('scales the fast interval with the estimate, between MIN_FAST_MS and pollMaxMs', () => {
    expect(fastIntervalMs(10, poll)).toBe(MIN_FAST_MS);
    expect(fastIntervalMs(200, poll)).toBe(2);
    expect(fastIntervalMs(1000, poll)).toBe(10);
    expect(fastIntervalMs(60_000, poll)).toBe(40);
  });

  it('caps every sleep at SLEEP_CAP_MS and at the budget left', () => {
    expect(nextPoll(input({ expectation: known(60_000) })).delayMs).toBe(SLEEP_CAP_MS);
    expect(nextPoll(input({ expectation: e, remainingMs: 12 })).delayMs).toBe(12);
    expect(nextPoll(input({ elapsedMs: BLIND_WINDOW_MS, backoffPolls: 9, remainingMs: 3 })).delayMs).toBe(3);
    expect(nextPoll(input({ remainingMs: -5 })).delayMs).toBe(0);
  });

  it('never sleeps past the window, nor past the budget (any input)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 200_000 }),
        fc.integer({ min: 0, max: 200_000 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.integer({ min: 0, max: 60 }),
        (estimateMs, leftFraction, elapsedMs, remainingMs, random, backoffPolls) => {
          const expectation = known(estimateMs * leftFraction, estimateMs);
          const next = nextPoll(input({ expectation, elapsedMs, remainingMs, random, backoffPolls }));
          expect(next.delayMs).toBeGreaterThanOrEqual(0);
          expect(next.delayMs).toBeLessThanOrEqual(Math.min(SLEEP_CAP_MS, remainingMs));
          const windowStart = expectation.finishInMs - SPREAD * estimateMs - fastIntervalMs(estimateMs, poll);
          if (next.phase === 'sleep') expect(elapsedMs + next.delayMs).toBeLessThanOrEqual(windowStart);
          else expect(next.delayMs).toBeLessThanOrEqual(poll.maxMs);
        },
      ),
    );
  });
});

describe('expectedFinish: a duration from the waiter’s first sight of the lock', () => {
  const lock = (estimateMs: number | null, startedAtMs: number | null) => ({
    token: 't',
    estimateMs,
    startedAtMs,
  });
  it('is the estimate less the time the holder has held the lock', () => {
    expect(expectedFinish(lock(200, 1_000), 1_150)).toEqual({ finishInMs: 50, estimateMs: 200 });
  });
  it('is never later than the estimate from first sight, whatever the clocks say', () => {
    // The holder's clock ahead of the waiter's: the lock seems taken in the future.
    expect(expectedFinish(lock(200, 5_000), 1_000)).toEqual({ finishInMs: 200, estimateMs: 200 });
    // Far behind (or a holder past its estimate): due now; the window then bounds the fast polls.
    expect(expectedFinish(lock(200, 0), 100_000)).toEqual({ finishInMs: 0, estimateMs: 200 });
  });
  it('is unknown without an estimate (0.1 lock, or a holder that did not know)', () => {
    expect(expectedFinish(lock(null, null), 1_000)).toBeNull();
    expect(expectedFinish(lock(null, 900), 1_000)).toBeNull();
    expect(expectedFinish(lock(0, 900), 1_000)).toBeNull();
  });
});
