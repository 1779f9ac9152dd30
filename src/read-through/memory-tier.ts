/**
 * The in-process tier in front of memcached: decoded entries (value, freshness, cost, flags) by store key,
 * so a hit here costs neither a round trip nor a deserialization. It holds fresh entries only, each for at
 * most the tier's `ttl` and never past the entry's own freshness: grace, stale-if-error, early refresh
 * decisions on expiry, and the `safe-` locks stay memcached's, reached by a miss here.
 */
import { LRUCache } from 'lru-cache';
import type { Envelope } from '../envelope.js';
import type { ResolvedMemoryTier } from '../options.js';

export class MemoryTier {
  readonly #entries: LRUCache<string, Envelope>;
  readonly #ttlMs: number;
  readonly #bySize: boolean;

  constructor(options: ResolvedMemoryTier) {
    this.#ttlMs = options.ttl * 1000;
    this.#bySize = options.maxBytes !== undefined;
    this.#entries = new LRUCache<string, Envelope>({
      max: options.maxEntries,
      ttl: this.#ttlMs,
      ...(options.maxBytes === undefined ? {} : { maxSize: options.maxBytes }),
    });
  }

  /** The entry of `storeKey` if it is held and still fresh at `now`. */
  get(storeKey: string, now: number): Envelope | undefined {
    const entry = this.#entries.get(storeKey);
    return entry !== undefined && now < entry.freshUntil ? entry : undefined;
  }

  /**
   * Holds `entry` (stored in memcached as `bytes` bytes) until the earlier of the tier's ttl and the end
   * of its freshness; an entry already past its freshness replaces what was held by nothing.
   */
  remember(storeKey: string, entry: Envelope, bytes: number): void {
    const ttl = Math.min(this.#ttlMs, entry.freshUntil - Date.now());
    if (ttl < 1) {
      this.#entries.delete(storeKey);
      return;
    }
    this.#entries.set(storeKey, entry, this.#bySize ? { ttl, size: Math.max(1, bytes) } : { ttl });
  }

  forget(storeKey: string): void {
    this.#entries.delete(storeKey);
  }
}
