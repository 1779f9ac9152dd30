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

/**
 * Tag states being read. `states` is there as soon as they arrived (set in the read's own continuation),
 * so an entry whose answer comes after its tags' (they are asked first) is judged without a promise of
 * its own. `promise` rejects with the first StoreError; nobody awaiting it is no unhandled rejection.
 */
export interface TagRead {
  readonly promise: Promise<TagStates>;
  /** Undefined until every state arrived (and after a failure). */
  readonly states: TagStates | undefined;
}

export class TagVersions {
  readonly #store: Store;
  readonly #namespace: string;
  /** Tag reads issued in this turn of the event loop, by tag; undefined when the store answers within a turn. */
  readonly #thisTurn: Map<string, TagRead> | undefined;

  constructor(store: Store, namespace: string) {
    this.#store = store;
    this.#namespace = namespace;
    this.#thisTurn = store.nodePool ? new Map() : undefined;
  }

  /** The state of each tag (null: none stored), read in one tick. */
  read(tags: readonly string[]): TagRead {
    if (tags.length === 1) return this.#readShared(tags[0] as string);
    return new SeveralTags(
      tags,
      tags.map((tag) => this.#readShared(tag)),
    );
  }

  /** A tag's state (as a one-tag map), sharing a read of it issued earlier in this turn (see the header). */
  #readShared(tag: string): TagRead {
    const shared = this.#thisTurn;
    const known = shared?.get(tag);
    if (known !== undefined) return known;
    const read = new OneTag(tag, this.#store.get(this.#key(tag)));
    if (shared === undefined) return read;
    if (shared.size === 0) process.nextTick(() => shared.clear());
    shared.set(tag, read);
    return read;
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

class OneTag implements TagRead {
  readonly promise: Promise<TagStates>;
  states: TagStates | undefined;

  constructor(tag: string, bytes: Promise<Buffer | null>) {
    this.promise = bytes.then((found) => {
      this.states = new Map([[tag, decodeTagState(found)]]);
      return this.states;
    });
    this.promise.catch(() => undefined);
  }
}

/** Several tags' reads (each maybe shared with other callers) seen as one. */
class SeveralTags implements TagRead {
  readonly #tags: readonly string[];
  readonly #parts: readonly TagRead[];
  #states: TagStates | undefined;
  #promise: Promise<TagStates> | undefined;

  constructor(tags: readonly string[], parts: readonly TagRead[]) {
    this.#tags = tags;
    this.#parts = parts;
  }

  get states(): TagStates | undefined {
    if (this.#states === undefined && this.#parts.every((part) => part.states !== undefined)) {
      this.#states = new Map(this.#tags.map((tag, i) => [tag, this.#parts[i]?.states?.get(tag) ?? null]));
    }
    return this.#states;
  }

  get promise(): Promise<TagStates> {
    if (this.#promise === undefined) {
      this.#promise = Promise.all(this.#parts.map((part) => part.promise)).then(
        () => this.states as TagStates,
      );
      this.#promise.catch(() => undefined);
    }
    return this.#promise;
  }
}
