/**
 * The race every cache has with invalidation (memcache leases exist for it): a load reads the database,
 * the row changes and the app invalidates the key, then the load stores what it read before, served as
 * fresh. A load here never stores blindly:
 *
 * - at its start, before the loader runs, it notes the item it saw: its CAS, or "absent", and the states
 *   of the tags it already knows (the call's, the stale entry's) and the namespace's tag epoch, all read in
 *   one tick;
 * - it stores with `setIfCas(cas)`, or `add` when the key was absent. Every invalidation writes the key
 *   (`set()` a value, `invalidate()` an invalidated entry, `delete()` a tombstone living `markerTtl`), so a
 *   load that started before one finds the CAS changed, or the key present, and does not store; its value
 *   still goes to its own callers;
 * - a key absent at the start is stored only if the load took less than `markerTtl`: after that a
 *   tombstone written meanwhile could have expired, and the `add` would not see it;
 * - tags are stamped with the versions read at the start, so an `invalidateTags()` during the load makes
 *   the stored entry stale at once. Tags the loader names only at its end (the middleware's Surrogate-Key)
 *   were not read at the start: their entry is stored only if the namespace's epoch did not move meanwhile
 *   (no tag at all was invalidated during the load).
 */
import { stampedTags, type TagStamp } from '../envelope.js';
import type { CasToken } from '../store/cas.js';
import type { Store } from '../store/store.js';
import { stampOf, type TagState } from './tag-state.js';
import type { TagVersions } from './tag-versions.js';

/** What a load saw at its start. */
export interface LoadTicket {
  /** The CAS of the item under the key; null when the key was absent. */
  cas: CasToken | null;
  /** `performance.now()` when the key was read. */
  startedAt: number;
  /** The states of the tags known at the start. */
  states: ReadonlyMap<string, TagState>;
  /** The namespace's tag epoch at the start; undefined when it could not be read (tags cannot be stamped). */
  epoch: string | null | undefined;
  /** The item's bytes at the start (null: absent): the re-read under the lock decides on them. */
  bytes: Buffer | null;
}

/** Why a load's value was not stored: an invalidation landed while it ran. */
export type SupersededReason =
  /** The item changed since the load's start (`set()`, `invalidate()`, `delete()`, another writer). */
  | 'changed'
  /** The item the load saw is gone (expired, evicted, or purged and its marker expired). */
  | 'missing'
  /** The key was absent and is present now (a marker or another writer's value). */
  | 'present'
  /** The key was absent and the load outlived the markers' TTL: an invalidation could have come and gone. */
  | 'too-long'
  /** A tag named only at the end of the load, and some tag was invalidated during it. */
  | 'tags-moved';

export class LoadGuard {
  readonly #store: Store;
  readonly #tags: TagVersions;
  readonly #markerTtlMs: number;

  constructor(store: Store, tags: TagVersions, markerTtlSeconds: number) {
    this.#store = store;
    this.#tags = tags;
    this.#markerTtlMs = markerTtlSeconds * 1000;
  }

  /**
   * Notes what the load sees before its loader runs: the item's CAS, the states of the call's `tags` and of
   * the tags the stored entry carries (the ones a re-render will most likely name again), and the epoch.
   * Rejects with a StoreError (then: do not store).
   */
  async observe(storeKey: string, tags: readonly string[]): Promise<LoadTicket> {
    const startedAt = performance.now();
    const [item, states, epoch] = await Promise.all([
      this.#store.getWithCas(storeKey),
      tags.length > 0 ? this.#tags.ensure(tags) : new Map<string, TagState>(),
      this.#tags.readEpoch(),
    ]);
    const cas = item?.cas ?? null;
    const bytes = item?.value ?? null;
    const carried = item ? stampedTags(item.value).filter((tag) => !states.has(tag)) : [];
    if (carried.length === 0) return { cas, startedAt, states, epoch, bytes };
    const more = await this.#tags.ensure(carried);
    return { cas, startedAt, states: new Map([...states, ...more]), epoch, bytes };
  }

  /**
   * What a load notes when memcached just failed and asking again would cost its caller another failed
   * call: nothing read, so it can only `add` (never over anything present, a marker included) within
   * `markerTtl`, and cannot stamp tags.
   */
  unread(): LoadTicket {
    return { cas: null, startedAt: performance.now(), states: new Map(), epoch: undefined, bytes: null };
  }

  /**
   * The stamps of `tags` for the entry: the states seen at the start, and for tags named later their
   * states now, or null when any tag was invalidated during the load (the late ones' could have been).
   */
  async stamps(ticket: LoadTicket, tags: readonly string[]): Promise<TagStamp[] | null> {
    const late = tags.filter((tag) => !ticket.states.has(tag));
    let states = ticket.states;
    if (late.length > 0) {
      if (ticket.epoch === undefined) return null;
      const [lateStates, epoch] = await Promise.all([this.#tags.ensure(late), this.#tags.readEpoch()]);
      if (epoch !== ticket.epoch) return null;
      states = new Map([...ticket.states, ...lateStates]);
    }
    return tags.map((tag) => ({ tag, version: stampOf(states.get(tag) as TagState) }));
  }

  /** Stores `bytes` only if nothing invalidated the key since `ticket`; resolves why not otherwise. */
  async write(
    storeKey: string,
    bytes: Buffer,
    ttlSeconds: number,
    ticket: LoadTicket,
  ): Promise<'stored' | SupersededReason> {
    if (ticket.cas !== null) {
      const outcome = await this.#store.setIfCas(storeKey, bytes, ttlSeconds, ticket.cas);
      return typeof outcome === 'bigint' ? 'stored' : outcome;
    }
    if (performance.now() - ticket.startedAt >= this.#markerTtlMs) return 'too-long';
    return (await this.#store.add(storeKey, bytes, ttlSeconds)) ? 'stored' : 'present';
  }
}
