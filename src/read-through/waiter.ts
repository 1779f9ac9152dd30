/**
 * The waiter: a worker that lost the lock polls for the value with capped, jittered exponential backoff
 * (p-retry), each poll bounded by the store's own timeout, until the value appears, the lock vanishes
 * (its holder failed: try to take it), or the wait budget is spent.
 */
import pRetry, { AbortError } from 'p-retry';
import type { Envelope } from '../envelope.js';

export type WaitOutcome = { kind: 'value'; envelope: Envelope } | { kind: 'lock-gone' } | { kind: 'timeout' };

export interface WaitOptions {
  /** Reads the entry; a store error ends the wait with that error. */
  read(): Promise<Envelope | null>;
  /** Whether the lock is still held. */
  lockHeld(): Promise<boolean>;
  /** Whether an entry read is the one we wait for (newer than the stale one we started with). */
  accept(envelope: Envelope): boolean;
  budgetMs: number;
  minMs: number;
  maxMs: number;
  factor: number;
}

class NotYet extends Error {}
class LockGone extends Error {}

export async function waitForValue(options: WaitOptions): Promise<WaitOutcome> {
  try {
    const envelope = await pRetry(
      async () => {
        const found = await options.read().catch(abort);
        if (found && options.accept(found)) return found;
        if (!(await options.lockHeld().catch(abort))) throw new AbortError(new LockGone());
        throw new NotYet();
      },
      {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: options.minMs,
        maxTimeout: options.maxMs,
        factor: options.factor,
        randomize: true,
        maxRetryTime: options.budgetMs,
      },
    );
    return { kind: 'value', envelope };
  } catch (error) {
    if (error instanceof NotYet) return { kind: 'timeout' };
    if (error instanceof LockGone) return { kind: 'lock-gone' };
    throw error;
  }
}

// Store errors must end the wait at once (p-retry would otherwise retry them like "not yet").
function abort(error: unknown): never {
  throw new AbortError(error instanceof Error ? error : new Error(String(error)));
}
