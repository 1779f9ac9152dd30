/**
 * How a stored entry reads once invalidation is taken into account: an entry soft-purged by
 * `invalidate()`, or whose tags moved since its load, is never fresh; it stays servable stale from when it
 * was invalidated (grace, stale-if-error measure from there); after a hard tag invalidation it is not
 * servable at all (null, a miss). The read-through then decides on the result as on any entry.
 */
import type { Envelope, TagStamp } from '../envelope.js';
import { judgeStamp } from './tag-state.js';
import type { TagStates } from './tag-versions.js';

/** Whether `entry` needs its tags' states to be judged. */
export function needsTagStates(
  entry: Envelope | null,
): entry is Envelope & { tags: NonNullable<Envelope['tags']> } {
  return entry?.tags !== undefined;
}

/** Whether no tag of `entry` moved since its load (each state as the entry stamped it). */
export function stampsHold(entry: Envelope & { tags: readonly TagStamp[] }, states: TagStates): boolean {
  for (const { tag, version } of entry.tags) {
    if (judgeStamp(version, states.get(tag) ?? null, 0).kind !== 'fresh') return false;
  }
  return true;
}

/**
 * The entry as readers must see it now. `states` holds the state of each of its tags (needed when it has
 * tags). `freshUntil` never lies ahead of `now` for an invalidated entry, whatever the writers' clocks.
 */
export function judgeEntry(entry: Envelope, states: TagStates | undefined, now: number): Envelope | null {
  let staleSince = entry.invalidated ? entry.freshUntil : Number.POSITIVE_INFINITY;
  for (const { tag, version } of entry.tags ?? []) {
    const verdict = judgeStamp(version, states?.get(tag) ?? null, now);
    if (verdict.kind === 'gone') return null;
    if (verdict.kind === 'stale') staleSince = Math.min(staleSince, verdict.sinceMs);
  }
  if (staleSince === Number.POSITIVE_INFINITY) return entry;
  return { ...entry, freshUntil: Math.min(entry.freshUntil, staleSince, now), invalidated: true };
}
