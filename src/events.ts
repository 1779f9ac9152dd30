/**
 * Typed events and stats counters. Payloads are only built when someone listens (`listening()`), so the
 * hit path pays nothing for tracing nobody reads. Event names are stable; payloads only ever gain fields.
 */
import { EventEmitter } from 'node:events';

interface KeyEvent {
  /** The key as the caller gave it (before namespacing and hashing). */
  key: string;
}

export interface CacheEvents {
  hit: KeyEvent;
  /** A stale value was served (grace window, stale-if-error, or a wait timeout with `onWaitTimeout: 'stale'`). */
  stale: KeyEvent & { reason: 'grace' | 'error' | 'wait-timeout'; ageMs: number };
  miss: KeyEvent;
  /** The loader ran (in this process). */
  load: KeyEvent & { durationMs: number; background: boolean };
  'load:error': KeyEvent & { error: unknown; background: boolean };
  /** This caller joined a load already in flight in this process. */
  coalesced: KeyEvent;
  'lock:acquired': KeyEvent;
  'lock:busy': KeyEvent;
  'lock:extended': KeyEvent;
  'lock:released': KeyEvent & { held: boolean };
  /** A waiter finished: the value appeared, the lock vanished, or the budget ran out. */
  'wait:done': KeyEvent & {
    waitedMs: number;
    outcome: 'value' | 'lock-gone' | 'timeout';
    /** memcached reads the waiter made (data key and lock key). */
    reads: number;
  };
  'wait:timeout': KeyEvent & { waitedMs: number; policy: 'load' | 'stale' | 'throw' };
  /** A background refresh (grace or early refresh) ran or failed; it never rejects anywhere else. */
  'refresh:done': KeyEvent & { durationMs: number };
  'refresh:error': KeyEvent & { error: unknown };
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
  'safe-mode:on': { reason: string };
  /** Every node has been healthy for `settleMs`. */
  'safe-mode:off': { activeForMs: number };
}

export type CacheEventName = keyof CacheEvents;

/** Counters since the cache was created. */
export interface CacheStats {
  hits: number;
  staleHits: number;
  misses: number;
  loads: number;
  loadErrors: number;
  coalesced: number;
  locksAcquired: number;
  locksBusy: number;
  waits: number;
  waitTimeouts: number;
  backgroundRefreshes: number;
  storeErrors: number;
  tooLarge: number;
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
    storeErrors: 0,
    tooLarge: 0,
    inflightLoads: 0,
    queuedLoads: 0,
    safeModeActive: false,
  };
}

/** An EventEmitter whose `on`/`emit` are checked against an event map (`CacheEvents`, the middleware's). */
export class TypedEmitter<Events extends object> {
  readonly #emitter = new EventEmitter();

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
    return this.#emitter.listenerCount(name) > 0;
  }

  /**
   * Emits to listeners. A throwing listener must not break a lock release or a caller's request,
   * so its error becomes a process warning instead of propagating into the cache's control flow.
   */
  emit<K extends keyof Events & string>(name: K, event: Events[K]): void {
    try {
      this.#emitter.emit(name, event);
    } catch (error) {
      process.emitWarning(
        `stampede-guard: a '${name}' listener threw: ${String(error)}`,
        'StampedeGuardWarning',
      );
    }
  }

  removeAllListeners(): void {
    this.#emitter.removeAllListeners();
  }
}

/** The cache's own events. */
export class CacheEventEmitter extends TypedEmitter<CacheEvents> {}
