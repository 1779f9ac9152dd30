/**
 * How a read-through answered one call, and how fresh the value it returned is: the single source of
 * truth adapters read (the HTTP layer's `X-Cache` comes from it) instead of guessing from timestamps.
 */
import type { Envelope } from '../envelope.js';
import type { ResolvedPolicy } from '../options.js';

/**
 * - `hit`: a fresh stored value;
 * - `stale`: a stored value past its freshness (grace, `staleIfError`, or a wait timeout with `'stale'`);
 * - `waited`: a value another call loaded while this one waited for it (in this process or another);
 * - `loaded`: this call's own loader ran.
 */
export type AnswerSource = 'hit' | 'stale' | 'waited' | 'loaded';

/** A value and how it was got: what `cache.answer()` and `cache.peek()` resolve with. */
export interface Answer<T> {
  value: T;
  source: AnswerSource;
  /**
   * When the value stops (or stopped) being fresh, in ms since the epoch, by the clock of the process
   * that stored it; undefined for a loaded value that was not stored.
   */
  freshUntil: number | undefined;
}

/** An entry with `noStale` (see `LoaderContext.noStale()`) has no stale window and no early refresh. */
export const NO_STALE_WINDOW = { beta: 0, grace: 0, staleIfError: 0 };

/** Whether a stored entry answers a read now under `policy` (fresh, or stale within grace), and how. */
export function servable(entry: Envelope, policy: ResolvedPolicy, now: number): 'hit' | 'stale' | undefined {
  if (now < entry.freshUntil) return 'hit';
  const grace = entry.noStale ? 0 : policy.grace;
  return now < entry.freshUntil + grace * 1000 ? 'stale' : undefined;
}
