/**
 * Typed events and stats counters. Payloads are only built when someone listens (`listening()`), so the
 * hit path pays nothing for tracing nobody reads. Event names are stable; payloads only ever gain fields.
 */
import { EventEmitter } from 'node:events';
import { describeThrown } from './errors.js';
import type { SupersededReason } from './invalidation/load-guard.js';

interface KeyEvent {
  /** The key as the caller gave it (before namespacing and hashing). */
  key: string;
}

/** Which tier answered a hit: the in-process memory tier, or the store (memcached). */
export type HitTier = 'memory' | 'store';

/**
 * Every event of `cache.on(name, listener)`: the property name is the event name, its type the payload.
 * Keys in payloads are the caller's keys (before namespacing and hashing).
 */
export interface CacheEvents {
  /** A fresh value was served: from the memory tier (`CacheOptions.memory`) or from the store. */
  hit: KeyEvent & { tier: HitTier };
  /**
   * A stale value was served (grace window, stale-if-error, a wait timeout with `onWaitTimeout: 'stale'`,
   * or a load that outlived `loadTimeoutMs`).
   */
  stale: KeyEvent & { reason: 'grace' | 'error' | 'wait-timeout' | 'load-timeout'; ageMs: number };
  /** No usable value was found: a load (here or in another process) follows. */
  miss: KeyEvent;
  /** The loader ran (in this process). */
  load: KeyEvent & { durationMs: number; background: boolean };
  /** The loader threw or rejected; `error` is what it threw (also given to the callers unless `background`). */
  'load:error': KeyEvent & { error: unknown; background: boolean };
  /** This caller joined a load already in flight in this process. */
  coalesced: KeyEvent;
  /** This process won the `safe-` lock of the key and will load it. */
  'lock:acquired': KeyEvent;
  /** Another worker holds the `safe-` lock: this caller waits for its value. */
  'lock:busy': KeyEvent;
  /** The heartbeat extended a lock held during a long load. */
  'lock:extended': KeyEvent;
  /** The lock was released; `held` is false when it had expired or belonged to someone else by then. */
  'lock:released': KeyEvent & { held: boolean };
  /** A waiter finished: the value appeared, the lock vanished, or the budget ran out. */
  'wait:done': KeyEvent & {
    waitedMs: number;
    outcome: 'value' | 'lock-gone' | 'timeout';
    /** memcached reads the waiter made (data key and lock key). */
    reads: number;
  };
  /** A waiter spent `waitTimeoutMs`; `policy` is the `onWaitTimeout` it applies. */
  'wait:timeout': KeyEvent & { waitedMs: number; policy: 'load' | 'stale' | 'throw' };
  /** A background refresh (grace or early refresh) ran or failed; it never rejects anywhere else. */
  'refresh:done': KeyEvent & { durationMs: number };
  'refresh:error': KeyEvent & { error: unknown };
  /**
   * An invalidation was written: `delete()` (hard) or `invalidate()` (soft) of `key`, or `invalidateTags()`
   * of `tags` (soft, or hard with `{ hard: true }`).
   */
  invalidate: { key: string | undefined; tags: readonly string[] | undefined; hard: boolean };
  /**
   * A load's value was not stored because an invalidation (or another writer) landed while it ran; its
   * callers got it, readers will not (`reason`: what the conditional store found).
   */
  'write:superseded': KeyEvent & { reason: SupersededReason; background: boolean };
  /** A memcached call failed or timed out; the caller was served without the cache. */
  'store:error': { key: string | undefined; operation: string; error: unknown };
  /** A value larger than `maxValueBytes` (or refused by memcached as too large) was returned but not stored. */
  'value:too-large': KeyEvent & { bytes: number; limit: number };
  /** A stored item could not be decoded (other writer, other serializer): treated as a miss. */
  'value:corrupt': KeyEvent & { error: unknown };
  /** A memcached node is considered down: it refused connections, hung, or failed `downAfter` times in a row. */
  'node:down': { node: string; reason: 'refused' | 'hung' | 'error' };
  /** A down node answered a probe again. */
  'node:up': { node: string; downForMs: number };
  /** A node came back with a new pid or a smaller uptime: it restarted and is empty. */
  'node:restarted': { node: string; previousPid: number; pid: number };
  /**
   * A write did not reach one of a key's copies (a replica, or the old home of a key on its way back): the
   * caller's write succeeded where its primary is; the key is deleted on that node before it is read there
   * again. `key` is the store key (namespaced, maybe hashed).
   */
  'replica:error': { key: string; node: string; operation: string; error: unknown };
  /**
   * A miss on a node that came back (warm return), or on a replica, found the value on `from` and copied it
   * to `node` with `add`. `key` is the store key.
   */
  'warm:copied': { key: string; node: string; from: string };
  /**
   * Routing went home to a node that came back after being down, once this process had deleted there every
   * key it wrote elsewhere during the outage (`invalidated`; a node whose list overflowed `maxAwayKeys` was
   * flushed instead), `holdoffMs` after it answered again.
   */
  'node:home': { node: string; invalidated: number; holdoffMs: number };
  /** Safe mode turned on; `reason` names the node and what happened to it. */
  'safe-mode:on': { reason: string };
  /** Every node has been healthy for `settleMs`. */
  'safe-mode:off': { activeForMs: number };
}

export type CacheEventName = keyof CacheEvents;

/** Counters since the cache was created. */
export interface CacheStats {
  /** Fresh values served (from the memory tier or the store). */
  hits: number;
  /** The part of `hits` the memory tier answered (`CacheOptions.memory`), with no memcached call. */
  memoryHits: number;
  /** Stale values served (grace, stale-if-error, or a wait timeout with `onWaitTimeout: 'stale'`). */
  staleHits: number;
  /** Reads that found no usable value. */
  misses: number;
  /** Loader calls in this process (foreground and background). */
  loads: number;
  /** Loader calls that threw or rejected. */
  loadErrors: number;
  /** Calls that joined a call already in flight for the same key in this process. */
  coalesced: number;
  /** `safe-` locks won. */
  locksAcquired: number;
  /** `safe-` locks found held by another worker. */
  locksBusy: number;
  /** Waits for another worker's load. */
  waits: number;
  /** Waits that spent their `waitTimeoutMs`. */
  waitTimeouts: number;
  /** Background refreshes completed (grace, early refresh). */
  backgroundRefreshes: number;
  /** Invalidations written: `delete()`, `invalidate()`, and one per `invalidateTags()` call. */
  invalidations: number;
  /** Loaded values not stored because an invalidation landed while they loaded (`write:superseded`). */
  supersededWrites: number;
  /** memcached calls that failed or timed out (each also a `store:error` event). */
  storeErrors: number;
  /** Values returned but not stored because they were too large. */
  tooLarge: number;
  /** Writes that reached a key's primary but not one of its copies (`replica:error`). */
  replicaErrors: number;
  /** Values copied home after a miss on a returning node or a replica (`warm:copied`). */
  warmCopies: number;
  /** Keys deleted on nodes that came back, because this process wrote them elsewhere meanwhile (`node:home`). */
  returnInvalidations: number;
  /** Loads running in this process right now. */
  inflightLoads: number;
  /** Loads waiting for a slot under `maxConcurrentLoads` (safe mode). */
  queuedLoads: number;
  /** Whether safe mode is on now. */
  safeModeActive: boolean;
}

export function emptyStats(): CacheStats {
  return {
    hits: 0,
    memoryHits: 0,
    staleHits: 0,
    misses: 0,
    loads: 0,
    loadErrors: 0,
    coalesced: 0,
    locksAcquired: 0,
    locksBusy: 0,
    waits: 0,
    waitTimeouts: 0,
    backgroundRefreshes: 0,
    invalidations: 0,
    supersededWrites: 0,
    storeErrors: 0,
    tooLarge: 0,
    replicaErrors: 0,
    warmCopies: 0,
    returnInvalidations: 0,
    inflightLoads: 0,
    queuedLoads: 0,
    safeModeActive: false,
  };
}

/** An EventEmitter whose `on`/`emit` are checked against an event map (`CacheEvents`, the middleware's). */
export class TypedEmitter<Events extends object> {
  readonly #emitter = new EventEmitter();
  /** Listener counts by event name, kept by the emitter's own add/remove events: `listening()` runs per hit. */
  readonly #counts = new Map<string | symbol, number>();

  constructor() {
    const count = (name: string | symbol, by: number) =>
      this.#counts.set(name, (this.#counts.get(name) ?? 0) + by);
    this.#emitter.on('newListener', (name: string | symbol) => count(name, 1));
    this.#emitter.on('removeListener', (name: string | symbol) => count(name, -1));
  }

  on<K extends keyof Events & string>(name: K, listener: (event: Events[K]) => void): this {
    this.#emitter.on(name, listener);
    return this;
  }

  once<K extends keyof Events & string>(name: K, listener: (event: Events[K]) => void): this {
    this.#emitter.once(name, listener);
    return this;
  }

  off<K extends keyof Events & string>(name: K, listener: (event: Events[K]) => void): this {
    this.#emitter.off(name, listener);
    return this;
  }

  /** True when someone listens to `name`: build payloads only then. */
  listening(name: keyof Events & string): boolean {
    return (this.#counts.get(name) ?? 0) > 0;
  }

  /**
   * Emits to listeners, each on its own: a listener that throws (anything, even a value that cannot be
   * printed) or returns a promise that rejects must not break a lock release, a caller's request or the
   * process, nor keep the next listener from hearing the event. Its failure becomes a process warning.
   */
  emit<K extends keyof Events & string>(name: K, event: Events[K]): void {
    if (!this.listening(name)) return;
    // rawListeners: `once` wrappers included, which remove themselves when called.
    for (const listener of this.#emitter.rawListeners(name)) {
      try {
        const result: unknown = Reflect.apply(listener, this.#emitter, [event]);
        if (isThenable(result)) {
          result.then(undefined, (error: unknown) => warnCallbackFailure(`a '${name}' listener`, error));
        }
      } catch (error) {
        warnCallbackFailure(`a '${name}' listener`, error);
      }
    }
  }

  removeAllListeners(): void {
    this.#emitter.removeAllListeners();
  }
}

/** The cache's own events. */
export class CacheEventEmitter extends TypedEmitter<CacheEvents> {}

/**
 * Reports that a user callback (`what`: "a 'miss' listener", "the recorder") threw or rejected, as a
 * process warning of type `StampedeGuardWarning`. Never throws, whatever was thrown.
 */
export function warnCallbackFailure(what: string, error: unknown): void {
  process.emitWarning(`stampede-guard: ${what} threw: ${describeThrown(error)}`, 'StampedeGuardWarning');
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
