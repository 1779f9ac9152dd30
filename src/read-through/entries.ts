/**
 * Reading and writing cache entries: envelopes through the serializer, expiry, and the size limit.
 * Store failures surface as StoreError to the policy, which decides what a failure means.
 */
import { decodeEnvelope, type Envelope, encodeEnvelope } from '../envelope.js';
import { SerializationError, ValueTooLargeError } from '../errors.js';
import type { CacheEventEmitter, CacheStats } from '../events.js';
import type { ResolvedPolicy } from '../options.js';
import type { Serializer } from '../serializer.js';
import type { Store } from '../store/store.js';

/** A key as the caller gave it and as memcached sees it. */
export interface EntryKey {
  key: string;
  storeKey: string;
}

export class Entries {
  constructor(
    private readonly store: Store,
    private readonly serializer: Serializer,
    private readonly maxValueBytes: number,
    private readonly events: CacheEventEmitter,
    private readonly stats: CacheStats,
  ) {}

  /** The entry, or null when absent or undecodable. Rejects with StoreError when memcached fails. */
  read(k: EntryKey): Promise<Envelope | null> {
    return this.store.get(k.storeKey).then((bytes) => this.decode(k, bytes));
  }

  /** The stored bytes of `k`, undecoded: the hit path decodes them in its own continuation. */
  readBytes(k: EntryKey): Promise<Buffer | null> {
    return this.store.get(k.storeKey);
  }

  /** Decodes stored bytes; null for absent or undecodable ones (with `value:corrupt`). */
  decode(k: EntryKey, bytes: Buffer | null): Envelope | null {
    if (bytes === null) return null;
    try {
      return decodeEnvelope(bytes, this.serializer);
    } catch (error) {
      this.events.emit('value:corrupt', { key: k.key, error });
      return null;
    }
  }

  /**
   * Serializes a fresh entry; throws SerializationError, so a value that cannot be cached is reported clearly.
   * `noStale`: the entry is never served stale (see `LoaderContext.noStale()`). `freshUntil`: given by a
   * caller that reports it (the read-through tells its callers how fresh what it stored is).
   */
  encode(
    k: EntryKey,
    value: unknown,
    costMs: number,
    policy: ResolvedPolicy,
    noStale = false,
    freshUntil = Date.now() + policy.ttl * 1000,
  ): Buffer {
    try {
      return encodeEnvelope({ value, freshUntil, costMs, ...(noStale ? { noStale } : {}) }, this.serializer);
    } catch (error) {
      throw new SerializationError(k.key, error);
    }
  }

  /**
   * Stores encoded bytes, kept past freshness for the grace and stale-if-error windows. A value over the
   * size limit is skipped with an event. Resolves whether it was stored; rejects only with StoreError.
   */
  async write(k: EntryKey, bytes: Buffer, policy: ResolvedPolicy): Promise<boolean> {
    if (bytes.length > this.maxValueBytes) {
      this.#tooLarge(k, bytes.length);
      return false;
    }
    const keepSeconds = policy.ttl + Math.max(policy.grace, policy.staleIfError);
    try {
      await this.store.set(k.storeKey, bytes, keepSeconds);
      return true;
    } catch (error) {
      if (!(error instanceof ValueTooLargeError)) throw error;
      this.#tooLarge(k, bytes.length);
      return false;
    }
  }

  #tooLarge(k: EntryKey, bytes: number): void {
    this.stats.tooLarge++;
    this.events.emit('value:too-large', { key: k.key, bytes, limit: this.maxValueBytes });
  }
}
