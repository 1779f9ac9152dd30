import { InvalidOptionError } from '../errors.js';
import type { CasDeleteOutcome, CasMismatch, CasToken, CasValue } from './cas.js';
import type { NodePool, PoolRouting } from './node-pool.js';

export type { CasDeleteOutcome, CasMismatch, CasToken, CasValue } from './cas.js';

/**
 * The Store interface: the mechanism under the policy. A store knows nothing of locks or waiters, and of
 * safe mode only the routing a call brings; it moves bytes with expiry, and fails with `StoreError`
 * (never hangs: every call is bounded).
 *
 * A store that wraps another (metrics, a memory tier in front of memcached...) keeps safe mode working
 * by forwarding two things: every call's `options`, untouched, to the inner store, and `nodePool` (the
 * inner store's). Safe mode watches the pool through `nodePool` and routes each call through `options`.
 */

export interface StoreCallOptions {
  /**
   * Route by this key instead of `key`, so related keys land on the same node (the cache routes a
   * `safe-` lock key by its data key). Such a key lives on one node even when the routing keeps several
   * copies of entries (replicas): the node where its route key is read. Stores with a single node ignore it.
   */
  route?: string;
  /**
   * Safe mode's failover routing for this call (set by the cache). A pool applies it only if it is its
   * own; other stores ignore it, and wrappers pass it on with the rest of the options.
   */
  routing?: PoolRouting;
}

/**
 * TTLs are in seconds; 0 means no expiry. Values are opaque bytes.
 *
 * The compare-and-swap calls (`getWithCas`, `addWithCas`, `setIfCas`, `deleteIfCas`) are atomic on the
 * server: a write or delete that carries a CAS happens only if nobody wrote the item since that CAS was read.
 * Every transport uses memcached's own CAS, so a token read over one protocol is valid over the other.
 */
export interface Store {
  get(key: string, options?: StoreCallOptions): Promise<Buffer | null>;
  set(key: string, value: Buffer, ttlSeconds: number, options?: StoreCallOptions): Promise<void>;
  /** Stores only if the key is absent; resolves `true` when this call stored it. Never retried blindly. */
  add(key: string, value: Buffer, ttlSeconds: number, options?: StoreCallOptions): Promise<boolean>;
  /** Resolves `true` when the key existed. */
  delete(key: string, options?: StoreCallOptions): Promise<boolean>;
  /** Resets the expiry of an existing key; resolves `false` when the key is absent. */
  touch(key: string, ttlSeconds: number, options?: StoreCallOptions): Promise<boolean>;
  /** The value and the CAS of its item, or null when the key is absent. */
  getWithCas(key: string, options?: StoreCallOptions): Promise<CasValue | null>;
  /** `add` that resolves the stored item's CAS, or null when the key existed. Never retried blindly. */
  addWithCas(
    key: string,
    value: Buffer,
    ttlSeconds: number,
    options?: StoreCallOptions,
  ): Promise<CasToken | null>;
  /**
   * Stores only if the item's CAS is still `cas`: resolves the new CAS, `'changed'` when someone wrote the
   * item since, `'missing'` when it is gone (expired, deleted, evicted).
   */
  setIfCas(
    key: string,
    value: Buffer,
    ttlSeconds: number,
    cas: CasToken,
    options?: StoreCallOptions,
  ): Promise<CasToken | CasMismatch>;
  /** Deletes only if the item's CAS is still `cas`. */
  deleteIfCas(key: string, cas: CasToken, options?: StoreCallOptions): Promise<CasDeleteOutcome>;
  close(): Promise<void>;
  /** The pool of nodes under this store, for safe mode to watch: a pool names itself, a wrapper its inner store's. */
  readonly nodePool?: NodePool | undefined;
}

/** Memcached reads a TTL over 30 days as an absolute Unix time; convert so long TTLs mean what they say. */
const MAX_RELATIVE_TTL = 30 * 24 * 3600;

/** memcached's expiry is a 32-bit count of seconds: an absolute time past it cannot be sent. */
const MAX_EXPTIME = 0xffff_ffff;

/**
 * Whole seconds for memcached, so that the item lives at least `ttlSeconds`, as in every other store.
 * Rounds up (a 0.5 s TTL must not become "never expires"), plus one: memcached's clock ticks once a second
 * and an item expires at the n-th tick after it was set, which can come almost a whole second before n
 * seconds have passed (a 1 s lock could vanish after a few ms). Freshness itself is kept in ms in the entry.
 * Throws InvalidOptionError for a TTL memcached cannot take (NaN would silently mean "never expires").
 */
export function toExptime(ttlSeconds: number, nowMs = Date.now()): number {
  checkStoreTtl(ttlSeconds);
  if (ttlSeconds <= 0) return 0;
  const seconds = Math.ceil(ttlSeconds) + 1;
  const exptime = seconds > MAX_RELATIVE_TTL ? Math.floor(nowMs / 1000) + seconds : seconds;
  if (exptime > MAX_EXPTIME) {
    throw new InvalidOptionError('ttlSeconds', 'an expiry memcached can represent (before 2106)', ttlSeconds);
  }
  return exptime;
}

/** A store TTL is a finite number of seconds (0 or less: no expiry). */
export function checkStoreTtl(ttlSeconds: number): void {
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds)) {
    throw new InvalidOptionError('ttlSeconds', 'a finite number of seconds', ttlSeconds);
  }
}
