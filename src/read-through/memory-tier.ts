/**
 * The in-process tier in front of memcached: decoded entries (value, freshness, cost, flags) by the
 * caller's key (one cache, one namespace: the key names its store key, which the tier keeps with the
 * entry), so a hit here costs neither a round trip, nor a deserialization, nor deriving the store key.
 * It holds fresh entries only, each for at most the tier's `ttl` and never past the entry's own
 * freshness: stale values (grace, stale-if-error) and the `safe-` locks stay memcached's, reached by a
 * miss here. It never holds tag state: an entry with tags (judged against its tags' versions in memcached
 * on every read, so an `invalidateTags()` anywhere counts at once) or an invalidated one is not taken.
 */
import { LRUCache } from 'lru-cache';
import type { Envelope } from '../envelope.js';
import type { ResolvedMemoryTier } from '../options.js';
import type { EntryKey } from './entries.js';

/** What the tier holds for a key: the decoded entry, the store key the key maps to, and until when. */
export interface HeldEntry {
  storeKey: string;
  entry: Envelope;
  /** Epoch ms: the earlier of the tier's ttl and the entry's freshness. */
  heldUntil: number;
  /**
   * Epoch ms from which a hit re-reads the entry from memcached in the background (the last RENEW_FRACTION
   * of a hold its ttl ends), so a key in use never makes its callers wait for memcached; Infinity when the
   * hold ends with the entry's freshness (memcached would return the same entry).
   */
  renewFrom: number;
  /** A background re-read is under way. */
  renewing: boolean;
  /** The value as a settled promise, made at the first `wrap()` hit and shared by the next (they allocate nothing). */
  settled?: Promise<unknown>;
}

/** The last part of a hold, as a fraction of the tier's ttl, in which a hit re-reads the entry in the background. */
export const RENEW_FRACTION = 0.2;

/** The largest fraction of the tier's ttl an entry's hold is cut by (spreads the re-reads from memcached). */
export const TTL_JITTER = 0.1;

export class MemoryTier {
  readonly #entries: LRUCache<string, HeldEntry>;
  readonly #ttlMs: number;
  readonly #bySize: boolean;

  constructor(options: ResolvedMemoryTier) {
    this.#ttlMs = options.ttl * 1000;
    this.#bySize = options.maxBytes !== undefined;
    // Expiry is checked here against Date.now(), which the hit path reads anyway (and freshness is a
    // Date.now() time): lru-cache only bounds the count and the size, so its get stays a lookup.
    this.#entries = new LRUCache<string, HeldEntry>({
      max: options.maxEntries,
      ...(options.maxBytes === undefined ? {} : { maxSize: options.maxBytes }),
    });
  }

  /** What is held for `key` if its time in the tier is not up at `now` (and so it is still fresh). */
  get(key: string, now: number): HeldEntry | undefined {
    const held = this.#entries.get(key);
    if (held === undefined || now < held.heldUntil) return held;
    this.#entries.delete(key);
    return undefined;
  }

  /**
   * Holds `entry` (stored in memcached as `bytes` bytes) until the earlier of the tier's ttl and the end
   * of its freshness; an entry already past its freshness, tagged or invalidated replaces what was held by
   * nothing. The ttl is cut by up to TTL_JITTER at random: entries read together (a restart, a warm-up)
   * would otherwise all expire in the same instant, every ttl, and each caller would wait for memcached at once.
   */
  remember(k: EntryKey, entry: Envelope, bytes: number): void {
    const now = Date.now();
    const heldUntil = Math.min(now + this.#ttlMs * (1 - TTL_JITTER * Math.random()), entry.freshUntil);
    if (heldUntil <= now || entry.tags !== undefined || entry.invalidated) {
      this.#entries.delete(k.key);
      return;
    }
    const renewFrom = heldUntil < entry.freshUntil ? heldUntil - RENEW_FRACTION * this.#ttlMs : Infinity;
    const held = { storeKey: k.storeKey, entry, heldUntil, renewFrom, renewing: false };
    this.#entries.set(k.key, held, this.#bySize ? { size: Math.max(1, bytes) } : undefined);
  }

  /**
   * `remember()` for a background re-read of `held`: only if the tier still holds that very entry. A
   * `set()` or `delete()` in this process since the re-read began replaced or removed it, and wins.
   */
  renew(k: EntryKey, held: HeldEntry, entry: Envelope, bytes: number): void {
    held.renewing = false;
    if (this.#entries.peek(k.key) === held) this.remember(k, entry, bytes);
  }

  forget(key: string): void {
    this.#entries.delete(key);
  }
}
