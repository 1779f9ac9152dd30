/**
 * Tag state in memcached: one key per tag (`tag-<namespace>:<tag>`, routed by itself, so tags spread over
 * the nodes) plus one epoch key per namespace that changes with every tag invalidation. Reads of several
 * tags are issued in the same tick (one write per node with the transports' corking and pipelining).
 * Invalidating a tag costs two calls per tag, whatever the number of entries carrying it: the entries are
 * judged when read, against the version they were stamped with.
 *
 * Hits share their tag reads within one turn of the event loop (a memcached answer's callbacks and what
 * they start, until the next tick), which is what keeps a tagged hit close to an untagged one. Sound for
 * a store on the network: an invalidation's completion reaches this process only as an I/O callback, i.e.
 * at the start of a turn, before any read shared in that turn was issued, so every shared read left after
 * any invalidation a caller of that turn could know of. A store answering within the turn (MemoryStore,
 * no `nodePool`) does not share.
 */
import { tagEpochKeyOf, tagKeyOf } from '../keys.js';
import type { Store } from '../store/store.js';
import { decodeTagState, encodeTagState, newVersion, nextState, type TagState } from './tag-state.js';

/** Compare-and-swap attempts of one tag invalidation before it writes without comparing. */
const MAX_CAS_ATTEMPTS = 4;
/** Tag keys do not expire: an evicted one reads as "invalidated" (never as fresh), so eviction is safe. */
const NO_EXPIRY = 0;

export type TagStates = ReadonlyMap<string, TagState | null>;

export class TagVersions {
  readonly #store: Store;
  readonly #namespace: string;
  /** Tag reads issued in this turn of the event loop, by tag; undefined when the store answers within a turn. */
  readonly #thisTurn: Map<string, Promise<TagState | null>> | undefined;

  constructor(store: Store, namespace: string) {
    this.#store = store;
    this.#namespace = namespace;
    this.#thisTurn = store.nodePool ? new Map() : undefined;
  }

  /** The state of each tag (null: none stored), read in one tick. Rejects with the first StoreError. */
  async read(tags: readonly string[]): Promise<TagStates> {
    if (tags.length === 1) {
      const tag = tags[0] as string;
      return new Map([[tag, await this.#readShared(tag)]]);
    }
    const states = await Promise.all(tags.map((tag) => this.#readShared(tag)));
    return new Map(tags.map((tag, i) => [tag, states[i] ?? null]));
  }

  /** A tag's state, sharing a read of it issued earlier in this turn (see the header). */
  #readShared(tag: string): Promise<TagState | null> {
    const shared = this.#thisTurn;
    if (shared === undefined) return this.#store.get(this.#key(tag)).then(decodeTagState);
    let pending = shared.get(tag);
    if (pending !== undefined) return pending;
    if (shared.size === 0) process.nextTick(() => shared.clear());
    pending = this.#store.get(this.#key(tag)).then(decodeTagState);
    shared.set(tag, pending);
    return pending;
  }

  /**
   * The state of each tag, creating the missing ones (`add`: a concurrent creator's state wins, and is
   * read back), so a load can stamp its entry with versions that an invalidation will change.
   */
  async ensure(tags: readonly string[]): Promise<Map<string, TagState>> {
    // Its own reads: a load must see the versions as they are after it began, never a shared earlier read.
    const bytes = await Promise.all(tags.map((tag) => this.#store.get(this.#key(tag))));
    const found = new Map(tags.map((tag, i) => [tag, decodeTagState(bytes[i] ?? null)]));
    const ensured = new Map<string, TagState>();
    await Promise.all(
      tags.map(async (tag) => {
        let state = found.get(tag) ?? null;
        if (state === null) {
          const created = nextState(null, true);
          const added = await this.#store.add(this.#key(tag), encodeTagState(created), NO_EXPIRY);
          state = added ? created : decodeTagState(await this.#store.get(this.#key(tag)));
        }
        // Still none: gone again at once (evicted, or deleted by hand); a new state stamps nothing stale.
        ensured.set(tag, state ?? nextState(null, true));
      }),
    );
    return ensured;
  }

  /** The namespace's epoch: changes whenever any tag is invalidated (null: none stored yet). */
  async readEpoch(): Promise<string | null> {
    const bytes = await this.#store.get(tagEpochKeyOf(this.#namespace));
    return bytes === null ? null : bytes.toString('latin1');
  }

  /**
   * Gives every tag a new version (soft: entries stamped before are stale, servable within grace; hard:
   * not servable at all), then changes the epoch. Two calls per tag, in parallel across tags.
   */
  async invalidate(tags: readonly string[], hard: boolean): Promise<void> {
    await Promise.all(tags.map((tag) => this.#invalidateOne(this.#key(tag), hard)));
    await this.#store.set(tagEpochKeyOf(this.#namespace), Buffer.from(newVersion(), 'latin1'), NO_EXPIRY);
  }

  async #invalidateOne(key: string, hard: boolean): Promise<void> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const found = await this.#store.getWithCas(key);
      if (found === null) {
        if (await this.#store.add(key, encodeTagState(nextState(null, true)), NO_EXPIRY)) return;
        continue;
      }
      const next = nextState(decodeTagState(found.value), hard);
      const outcome = await this.#store.setIfCas(key, encodeTagState(next), NO_EXPIRY, found.cas);
      if (typeof outcome === 'bigint') return;
      // Another invalidation changed `current` since our read: a soft one's work is done.
      if (outcome === 'changed' && !hard) return;
    }
    // Contended by other invalidations: write a new state outright, as a hard one (never weaker than asked).
    await this.#store.set(key, encodeTagState(nextState(null, true)), NO_EXPIRY);
  }

  #key(tag: string): string {
    return tagKeyOf(this.#namespace, tag);
  }
}
