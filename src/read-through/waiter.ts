/**
 * The waiter: a worker that lost the lock reads the holder's estimate from the lock, sleeps through most
 * of the load, polls fast around the expected finish, and falls back to capped backoff when nothing is
 * known or the expectation passed (the schedule: wait-schedule.ts). It ends when the value appears, the
 * lock vanishes (its holder failed: try to take it), or the wait budget is spent.
 *
 * Reads: the data key on every poll; the lock key at first sight (the estimate) and then at most once per
 * `pollMaxMs`, which is how fast 0.1 noticed a vanished lock, so fast polls cost one get, not two.
 *
 * A loop of its own rather than p-retry (0.1's engine): p-retry derives each delay from the attempt number
 * alone and has no hook to choose it, and the schedule here depends on the estimate and the elapsed time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Envelope } from '../envelope.js';
import { type Expectation, expectedFinish, type LockValue } from '../lock/lock-value.js';
import { nextPoll, type PollTiming } from './wait-schedule.js';

export type WaitOutcome =
  | { kind: 'value'; envelope: Envelope; reads: number }
  | { kind: 'lock-gone'; reads: number }
  | { kind: 'timeout'; reads: number };

export interface WaitOptions {
  /** Reads the entry; a store error ends the wait with that error. */
  read(): Promise<Envelope | null>;
  /** Reads the lock: null when nobody holds it. A store error ends the wait with that error. */
  readLock(): Promise<LockValue | null>;
  /** Whether an entry read is the one we wait for (newer than the stale one we started with). */
  accept(envelope: Envelope): boolean;
  budgetMs: number;
  poll: PollTiming;
  /** Ends the wait at once (the cache is closing): the wait rejects. */
  signal?: AbortSignal;
}

export async function waitForValue(options: WaitOptions): Promise<WaitOutcome> {
  const { poll } = options;
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  let reads = 1;
  // The holder writes the value before it deletes the lock (one batch, answered in order), so a lock found
  // gone usually means the value is there: read it once more before going back to the lock, or waiters of
  // several processes that noticed together would take the lock in turn and the losers would wait again.
  const lockGone = async (): Promise<WaitOutcome> => {
    reads++;
    const found = await options.read();
    return found && options.accept(found)
      ? { kind: 'value', envelope: found, reads }
      : { kind: 'lock-gone', reads };
  };
  let lock = await options.readLock();
  if (!lock) return lockGone();
  let expectation = at(0, expectedFinish(lock, Date.now()));
  let lockReadAt = 0;
  let backoffPolls = 0;

  for (;;) {
    const remainingMs = options.budgetMs - elapsed();
    if (remainingMs <= 0) return { kind: 'timeout', reads };
    const next = nextPoll({
      expectation,
      elapsedMs: elapsed(),
      remainingMs,
      backoffPolls,
      poll,
      random: Math.random(),
    });
    if (next.phase === 'backoff') backoffPolls++;
    await sleep(next.delayMs, undefined, options.signal ? { signal: options.signal } : undefined);

    reads++;
    const found = await options.read();
    if (found && options.accept(found)) return { kind: 'value', envelope: found, reads };
    if (elapsed() - lockReadAt < poll.maxMs) continue;
    reads++;
    lockReadAt = elapsed();
    const current = await options.readLock();
    if (!current) return lockGone();
    if (current.token !== lock.token) {
      // Another holder took over (the first one's lock expired): its load starts now.
      lock = current;
      expectation = at(lockReadAt, expectedFinish(current, Date.now()));
      backoffPolls = 0;
    }
  }
}

/** An expectation read `sinceStartMs` into the wait, made relative to the wait's start. */
function at(sinceStartMs: number, expectation: Expectation | null): Expectation | null {
  return expectation && { ...expectation, finishInMs: expectation.finishInMs + sinceStartMs };
}
