/**
 * The in-process tier in front of memcached: decoded entries (value, freshness, cost, flags) by the
 * caller's key (one cache, one namespace: the key names its store key, which the tier keeps with the
 * entry), so a hit here costs neither a round trip, nor a deserialization, nor deriving the store key. It holds fresh entries only, each for at
 * most the tier's `ttl` and never past the entry's own freshness: grace, stale-if-error, early refresh
 * decisions on expiry, and the `safe-` locks stay memcached's, reached by a miss here.
 */
import { LRUCache } from 'lru-cache';
import type { Envelope } from '../envelope.js';
import type { ResolvedMemoryTier } from '../options.js';
import type { EntryKey } from './entries.js';

/** What the tier holds for a key: the decoded entry, and the store key the key maps to. */
export interface HeldEntry {
  storeKey: string;
  entry: Envelope;
}

export class MemoryTier {
  readonly #entries: LRUCache<string, HeldEntry>;
  readonly #ttlMs: number;
  readonly #bySize: boolean;

  constructor(options: ResolvedMemoryTier) {
    this.#ttlMs = options.ttl * 1000;
    this.#bySize = options.maxBytes !== undefined;
    this.#entries = new LRUCache<string, HeldEntry>({
      max: options.maxEntries,
      ttl: this.#ttlMs,
      ...(options.maxBytes === undefined ? {} : { maxSize: options.maxBytes }),
    });
  }

  /** What is held for `key` if it is still fresh at `now`. */
  get(key: string, now: number): HeldEntry | undefined {
    const held = this.#entries.get(key);
    return held !== undefined && now < held.entry.freshUntil ? held : undefined;
  }

  /**
   * Holds `entry` (stored in memcached as `bytes` bytes) until the earlier of the tier's ttl and the end
   * of its freshness; an entry already past its freshness replaces what was held by nothing.
   */
  remember(k: EntryKey, entry: Envelope, bytes: number): void {
    const ttl = Math.min(this.#ttlMs, entry.freshUntil - Date.now());
    if (ttl < 1) {
      this.#entries.delete(k.key);
      return;
    }
    const held = { storeKey: k.storeKey, entry };
    this.#entries.set(k.key, held, this.#bySize ? { ttl, size: Math.max(1, bytes) } : { ttl });
  }

  forget(key: string): void {
    this.#entries.delete(key);
  }
}
