/**
 * Tag state in memcached: one key per tag (`tag-<namespace>:<tag>`, routed by itself, so tags spread over
 * the nodes) plus one epoch key per namespace that changes with every tag invalidation. Invalidating a tag
 * costs two calls per tag, whatever the number of entries carrying it: the entries are judged when read,
 * against the version they were stamped with.
 *
 * A tagged hit reads the namespace's epoch in the tick of its entry, not its tags. Every invalidation
 * writes its tags' new states before it writes a new epoch, and completes only after that. So a tag state
 * read after this process saw the epoch read E is current for every invalidation that completed before
 * any later read of E: while the epoch still reads E, the states read since E was seen can be reused.
 * This process keeps them (`#known`) and reads a tag itself only when the epoch moved, when it does not
 * know the tag yet, or when a known state says an entry is not fresh (`readUncached`: a state that moved
 * without the epoch, e.g. a tag key evicted and created again, is only ever read as "not fresh" wrongly,
 * never as fresh). Without an epoch stored (none yet, or evicted) nothing is kept: the tags are read, and
 * one `add` creates an epoch.
 *
 * Reads share within one turn of the event loop (a memcached answer's callbacks and what they start, until
 * the next tick): an epoch or tag read issued in this turn left after any invalidation a caller of this turn
 * could know of, because an invalidation's completion reaches this process only as an I/O callback, at the
 * start of a turn. A store answering within the turn (MemoryStore, no `nodePool`) does not share.
 */
import { tagEpochKeyOf, tagKeyOf } from '../keys.js';
import type { Store } from '../store/store.js';
import { decodeTagState, encodeTagState, newVersion, nextState, type TagState } from './tag-state.js';

/** Compare-and-swap attempts of one tag invalidation before it writes without comparing. */
const MAX_CAS_ATTEMPTS = 4;
/** Tag keys do not expire: an evicted one reads as "invalidated" (never as fresh), so eviction is safe. */
const NO_EXPIRY = 0;

/** Tag states kept while the namespace's epoch reads as `epoch` (see the header); at most this many. */
const MAX_KNOWN_STATES = 10_000;

export type TagStates = ReadonlyMap<string, TagState | null>;

/**
 * Tag states being read. `states` is there as soon as they arrived (set in the read's own continuation),
 * so an entry whose answer comes after its tags' (they are asked first) is judged without a promise of
 * its own. `promise` rejects with the first StoreError; nobody awaiting it is no unhandled rejection.
 */
export interface TagRead {
  readonly promise: Promise<TagStates>;
  /** Undefined until every state arrived (and after a failure). May hold more tags than were asked. */
  readonly states: TagStates | undefined;
  /** Whether `states` are states this process kept (confirm with `readUncached` before calling an entry stale). */
  readonly kept: boolean;
}

/** States read after this process saw the namespace's epoch read `epoch`. */
interface Known {
  readonly epoch: string;
  readonly states: Map<string, TagState>;
}

export class TagVersions {
  readonly #store: Store;
  readonly #namespace: string;
  readonly #epochKey: string;
  /** Whether reads issued in one turn are shared (the store answers as I/O: it has a node pool). */
  readonly #sharesTurns: boolean;
  /** Tag reads issued in this turn, by tag. */
  readonly #tagsThisTurn = new Map<string, DirectRead>();
  /** The epoch read issued in this turn. */
  #epochThisTurn: EpochRead | undefined;
  #known: Known | undefined;
  /** An `add` of a first epoch in flight (one at a time). */
  #creatingEpoch = false;
  #used = false;

  constructor(store: Store, namespace: string) {
    this.#store = store;
    this.#namespace = namespace;
    this.#epochKey = tagEpochKeyOf(namespace);
    this.#sharesTurns = store.nodePool !== undefined;
  }

  /** Whether this process has read tags yet (from then on, reads of entries bring the epoch along). */
  get used(): boolean {
    return this.#used;
  }

  /**
   * The state of each tag (null: none stored), as of a read issued now (the epoch's, in this tick), or as
   * of the epoch read of `along` (a read issued with the entry, before its tags were known).
   */
  read(tags: readonly string[], along?: TagRead): TagRead {
    this.#used = true;
    const epoch = along instanceof CheckedRead ? along.epoch : this.#readEpochShared();
    return new CheckedRead(epoch, tags, this.#statesAt);
  }

  /** The state of each tag read from memcached now, never kept ones (and kept for later while it may be). */
  readUncached(tags: readonly string[]): TagRead {
    if (tags.length === 1) return this.#readTagShared(tags[0] as string);
    return new SeveralTags(
      tags,
      tags.map((tag) => this.#readTagShared(tag)),
    );
  }

  /** Kept states of every tag if `epoch` is the one they were kept under; else reads issued now. */
  readonly #statesAt = (epoch: string | null, tags: readonly string[]): TagStates | TagRead => {
    const known = this.#known;
    if (epoch !== null && known?.epoch === epoch && hasAll(known.states, tags)) return known.states;
    return this.readUncached(tags);
  };

  #readEpochShared(): EpochRead {
    const shared = this.#epochThisTurn;
    if (shared !== undefined) return shared;
    const read = new EpochRead(this.#store.get(this.#epochKey), this.#sawEpoch);
    if (!this.#sharesTurns) return read;
    this.#epochThisTurn = read;
    process.nextTick(() => {
      this.#epochThisTurn = undefined;
    });
    return read;
  }

  /** Called in an epoch read's own continuation: what is kept follows the epoch. */
  readonly #sawEpoch = (epoch: string | null): void => {
    if (epoch === null) {
      this.#known = undefined;
      this.#createEpoch();
    } else if (this.#known?.epoch !== epoch) {
      this.#known = { epoch, states: new Map() };
    }
  };

  /** Stores a first epoch, so hits can keep states (a concurrent invalidation's epoch wins the `add`). */
  #createEpoch(): void {
    if (this.#creatingEpoch) return;
    this.#creatingEpoch = true;
    this.#store
      .add(this.#epochKey, Buffer.from(newVersion(), 'latin1'), NO_EXPIRY)
      .catch(() => undefined) // memcached failing: hits read their tags until an epoch is there
      .finally(() => {
        this.#creatingEpoch = false;
      });
  }

  /** A tag's state, sharing a read of it issued earlier in this turn (see the header). */
  #readTagShared(tag: string): DirectRead {
    const shared = this.#tagsThisTurn;
    const known = this.#sharesTurns ? shared.get(tag) : undefined;
    if (known !== undefined) return known;
    const read = new DirectRead(tag, this.#store.get(this.#key(tag)), this.#keepFor(tag));
    if (!this.#sharesTurns) return read;
    if (shared.size === 0) process.nextTick(() => shared.clear());
    shared.set(tag, read);
    return read;
  }

  /**
   * What keeps a state read issued now: under the epoch seen last (the read leaves after it was seen),
   * if the epoch has not moved when the state arrives. States of tags without one are not kept: a load
   * creates them without moving the epoch.
   */
  #keepFor(tag: string): (state: TagState | null) => void {
    const at = this.#known;
    return (state) => {
      if (at === undefined || state === null || this.#known !== at) return;
      if (at.states.size >= MAX_KNOWN_STATES) at.states.clear();
      at.states.set(tag, state);
    };
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
    const bytes = await this.#store.get(this.#epochKey);
    return bytes === null ? null : bytes.toString('latin1');
  }

  /**
   * Gives every tag a new version (soft: entries stamped before are stale, servable within grace; hard:
   * not servable at all), then changes the epoch. Two calls per tag, in parallel across tags.
   */
  async invalidate(tags: readonly string[], hard: boolean): Promise<void> {
    await Promise.all(tags.map((tag) => this.#invalidateOne(this.#key(tag), hard)));
    await this.#store.set(this.#epochKey, Buffer.from(newVersion(), 'latin1'), NO_EXPIRY);
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

function hasAll(states: ReadonlyMap<string, unknown>, tags: readonly string[]): boolean {
  for (const tag of tags) if (!states.has(tag)) return false;
  return true;
}

/** One tag's state read from memcached. */
class DirectRead implements TagRead {
  readonly promise: Promise<TagStates>;
  states: TagStates | undefined;
  readonly kept = false;

  constructor(tag: string, bytes: Promise<Buffer | null>, keep: (state: TagState | null) => void) {
    this.promise = bytes.then((found) => {
      const state = decodeTagState(found);
      keep(state);
      this.states = new Map([[tag, state]]);
      return this.states;
    });
    this.promise.catch(() => undefined);
  }
}

/**
 * The namespace's epoch being read; `seen` runs in the read's own continuation, before anyone else's.
 * `settled`: it arrived or failed (`epoch` stays null then: nothing kept is trusted).
 */
class EpochRead {
  readonly promise: Promise<string | null>;
  settled = false;
  epoch: string | null = null;

  constructor(bytes: Promise<Buffer | null>, seen: (epoch: string | null) => void) {
    this.promise = bytes.then(
      (found) => {
        this.epoch = found === null ? null : found.toString('latin1');
        this.settled = true;
        seen(this.epoch);
        return this.epoch;
      },
      () => {
        // Its node failing must not fail every tagged hit: they read their tags, spread over the nodes.
        this.settled = true;
        return null;
      },
    );
  }
}

/**
 * Tags read through the epoch: once it arrived, the kept states if they stand for it, else a read of the
 * tags issued then (also when the epoch could not be read). Lazy: a hit judged in its entry's continuation allocates no promise of its own.
 */
class CheckedRead implements TagRead {
  readonly epoch: EpochRead;
  readonly #tags: readonly string[];
  readonly #statesAt: (epoch: string | null, tags: readonly string[]) => TagStates | TagRead;
  #outcome: TagStates | TagRead | undefined;
  #promise: Promise<TagStates> | undefined;

  constructor(
    epoch: EpochRead,
    tags: readonly string[],
    statesAt: (epoch: string | null, tags: readonly string[]) => TagStates | TagRead,
  ) {
    this.epoch = epoch;
    this.#tags = tags;
    this.#statesAt = statesAt;
  }

  /** Decided once, at the first look after the epoch arrived (reads issued then leave after it). */
  #decided(): TagStates | TagRead | undefined {
    if (this.#outcome === undefined && this.epoch.settled)
      this.#outcome = this.#statesAt(this.epoch.epoch, this.#tags);
    return this.#outcome;
  }

  get states(): TagStates | undefined {
    const outcome = this.#decided();
    return outcome === undefined || outcome instanceof Map ? outcome : (outcome as TagRead).states;
  }

  get kept(): boolean {
    return this.#decided() instanceof Map;
  }

  get promise(): Promise<TagStates> {
    if (this.#promise === undefined) {
      this.#promise = this.epoch.promise.then(() => {
        const outcome = this.#decided() as TagStates | TagRead;
        return outcome instanceof Map ? outcome : (outcome as TagRead).promise;
      });
      this.#promise.catch(() => undefined);
    }
    return this.#promise;
  }
}

/** Several tags' reads (each maybe shared with other callers) seen as one. */
class SeveralTags implements TagRead {
  readonly #tags: readonly string[];
  readonly #parts: readonly TagRead[];
  readonly kept = false;
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
