/**
 * Reading and writing cache entries: envelopes through the serializer, expiry, the size limit, and what
 * invalidation makes of an entry (soft-purged, tags moved: see invalidation/freshness.ts). Store failures
 * surface as StoreError to the policy, which decides what a failure means.
 */
import {
  decodeEnvelope,
  type Envelope,
  encodeEnvelope,
  isTombstone,
  serializeValue,
  type TagStamp,
} from '../envelope.js';
import { SerializationError, ValueTooLargeError } from '../errors.js';
import type { CacheEventEmitter, CacheStats } from '../events.js';
import { judgeEntry, needsTagStates, stampsHold } from '../invalidation/freshness.js';
import type { LoadGuard, LoadTicket, SupersededReason } from '../invalidation/load-guard.js';
import type { TagRead, TagStates, TagVersions } from '../invalidation/tag-versions.js';
import type { ResolvedPolicy } from '../options.js';
import type { Serializer } from '../serializer.js';
import type { Store } from '../store/store.js';

/** A key as the caller gave it and as memcached sees it, with the tags the call names (read with the entry). */
export interface EntryKey {
  key: string;
  storeKey: string;
  tags?: readonly string[];
}

/** What a write did: stored, skipped as too large, or superseded by an invalidation (load-guard.ts). */
export type WriteOutcome = 'stored' | 'too-large' | SupersededReason;

/** Tag states being read in the same tick as an entry; undefined when the call names no tags. */
export type PendingTagStates = TagRead | undefined;

export class Entries {
  constructor(
    private readonly store: Store,
    private readonly serializer: Serializer,
    private readonly maxValueBytes: number,
    private readonly events: CacheEventEmitter,
    private readonly stats: CacheStats,
    private readonly tagVersions: TagVersions,
    private readonly guard: LoadGuard,
  ) {}

  /**
   * The entry as readers must see it (invalidation applied), or null when absent, undecodable or purged
   * hard. The call's tags are read in the same tick as the entry. Rejects with StoreError when memcached fails.
   */
  read(k: EntryKey): Promise<Envelope | null> {
    const pending = this.readTags(k);
    return this.store.get(k.storeKey).then((bytes) => this.judge(k, this.decode(k, bytes), pending));
  }

  /** The stored bytes of `k`, undecoded: the hit path decodes them in its own continuation. */
  readBytes(k: EntryKey): Promise<Buffer | null> {
    return this.store.get(k.storeKey);
  }

  /**
   * Starts reading the states of the call's tags (issue it in the tick of the entry's read). A call naming
   * none still reads the namespace's epoch along once this process has met tags: an entry carrying tags
   * the call could not name (a middleware page) is then judged from kept states without a second round trip.
   */
  readTags(k: EntryKey): PendingTagStates {
    if (k.tags === undefined || k.tags.length === 0) {
      return this.tagVersions.used ? this.tagVersions.read(NO_TAGS) : undefined;
    }
    return this.tagVersions.read(k.tags); // judged with the entry, or abandoned with its failed read
  }

  /** What a load notes before its loader runs (see load-guard.ts). Rejects with StoreError. */
  observe(k: EntryKey): Promise<LoadTicket> {
    return this.guard.observe(k.storeKey, k.tags ?? []);
  }

  /**
   * What a load notes before its loader runs, and the entry as `read()` judges it, from the same reads
   * (the re-read under the lock: one round trip for both). Rejects with StoreError.
   */
  async observeEntry(k: EntryKey): Promise<{ entry: Envelope | null; ticket: LoadTicket }> {
    const ticket = await this.guard.observe(k.storeKey, k.tags ?? []);
    const found = this.decode(k, ticket.bytes);
    // The ticket holds the state of every tag the entry carries (the call's and the entry's own).
    return { entry: found && judgeEntry(found, ticket.states, Date.now()), ticket };
  }

  /** A load's note when memcached just failed: it may only `add` (see `LoadGuard.unread`). */
  unread(): LoadTicket {
    return this.guard.unread();
  }

  /** The stamps of the entry a load stores: null when tags it named late may have moved during it. */
  stamps(ticket: LoadTicket, tags: readonly string[]): Promise<TagStamp[] | null> {
    return this.guard.stamps(ticket, tags);
  }

  /** Decodes stored bytes; null for absent, tombstoned or undecodable ones (with `value:corrupt`). */
  decode(k: EntryKey, bytes: Buffer | null): Envelope | null {
    if (bytes === null || isTombstone(bytes)) return null;
    try {
      return decodeEnvelope(bytes, this.serializer);
    } catch (error) {
      this.events.emit('value:corrupt', { key: k.key, error });
      return null;
    }
  }

  /**
   * A decoded entry as readers must see it now. Synchronous (the hit path stays in the read's
   * continuation) unless the states of its tags are still on the way (see `tagStates`).
   */
  judge(
    k: EntryKey,
    found: Envelope | null,
    pending: PendingTagStates,
  ): Envelope | null | Promise<Envelope | null> {
    const states = this.tagStates(k, found, pending);
    if (!(states instanceof Promise)) return this.judgeWith(found, states);
    return states.then((named) => this.judgeWith(found, named));
  }

  /**
   * The tag states `found` must be judged against (undefined: it needs none). In the usual hit the call
   * named every tag of its entry, read in the entry's tick: their states, at hand when they arrived
   * first (no promise), else their read's promise. Otherwise a read of the entry's tags through the epoch
   * read sent with the entry, when there was one. States this process kept are confirmed by a read before
   * they call the entry not fresh (see invalidation/tag-versions.ts).
   */
  tagStates(
    k: EntryKey,
    found: Envelope | null,
    pending: PendingTagStates,
  ): TagStates | Promise<TagStates> | undefined {
    if (found === null || !needsTagStates(found)) return undefined;
    const read =
      pending !== undefined && namesAll(found.tags, k.tags)
        ? pending
        : this.tagVersions.read(
            found.tags.map(({ tag }) => tag),
            pending,
          );
    const states = read.states;
    if (states !== undefined) return this.#confirmed(found, states, read.kept);
    return read.promise.then((named) => this.#confirmed(found, named, read.kept));
  }

  /** `states`, or when kept ones say `found` moved, its tags' states read now. */
  #confirmed(
    found: Envelope & { tags: readonly TagStamp[] },
    states: TagStates,
    kept: boolean,
  ): TagStates | Promise<TagStates> {
    if (!kept || stampsHold(found, states)) return states;
    return this.tagVersions.readUncached(found.tags.map(({ tag }) => tag)).promise;
  }

  /** `found` judged against its tags' `states` (from `tagStates`; undefined when it needs none). */
  judgeWith(found: Envelope | null, states: TagStates | undefined): Envelope | null {
    if (found === null) return null;
    if (states === undefined && !found.invalidated) return found;
    return judgeEntry(found, states, Date.now());
  }

  /**
   * Serializes a fresh entry; throws SerializationError, so a value that cannot be cached is reported clearly.
   * `noStale`: the entry is never served stale (see `LoaderContext.noStale()`). `freshUntil`: given by a
   * caller that reports it (the read-through tells its callers how fresh what it stored is). `tags`: the
   * entry's tag stamps. `body`: the value as `serialize()` gave it.
   */
  encode(
    k: EntryKey,
    value: unknown,
    costMs: number,
    policy: ResolvedPolicy,
    noStale = false,
    freshUntil = Date.now() + policy.ttl * 1000,
    tags: readonly TagStamp[] = [],
    body: Buffer = this.serialize(k, value),
  ): Buffer {
    const envelope: Envelope = { value, freshUntil, costMs };
    if (noStale) envelope.noStale = true;
    if (tags.length > 0) envelope.tags = tags;
    try {
      return encodeEnvelope(envelope, this.serializer, body);
    } catch (error) {
      throw new SerializationError(k.key, error);
    }
  }

  /** The value's bytes; throws SerializationError (at once: before a load awaits its tags' versions). */
  serialize(k: EntryKey, value: unknown): Buffer {
    try {
      return serializeValue(value, this.serializer);
    } catch (error) {
      throw new SerializationError(k.key, error);
    }
  }

  /**
   * Stores encoded bytes, kept past freshness for the grace and stale-if-error windows. A value over the
   * size limit is skipped with an event. Resolves what happened; rejects only with StoreError. With a
   * `ticket` (a load's start), stores only if no invalidation landed since (see load-guard.ts).
   */
  async write(
    k: EntryKey,
    bytes: Buffer,
    policy: ResolvedPolicy,
    ticket?: LoadTicket,
  ): Promise<WriteOutcome> {
    if (bytes.length > this.maxValueBytes) {
      this.#tooLarge(k, bytes.length);
      return 'too-large';
    }
    const keepSeconds = policy.ttl + Math.max(policy.grace, policy.staleIfError);
    try {
      if (ticket === undefined) {
        await this.store.set(k.storeKey, bytes, keepSeconds);
        return 'stored';
      }
      return await this.guard.write(k.storeKey, bytes, keepSeconds, ticket);
    } catch (error) {
      if (!(error instanceof ValueTooLargeError)) throw error;
      this.#tooLarge(k, bytes.length);
      return 'too-large';
    }
  }

  #tooLarge(k: EntryKey, bytes: number): void {
    this.stats.tooLarge++;
    this.events.emit('value:too-large', { key: k.key, bytes, limit: this.maxValueBytes });
  }
}

/** Whether the call named every tag the entry carries. */
function namesAll(stamps: readonly TagStamp[], named: readonly string[] | undefined): boolean {
  if (named === undefined) return false;
  for (const { tag } of stamps) if (!named.includes(tag)) return false;
  return true;
}

const NO_TAGS: readonly string[] = [];
