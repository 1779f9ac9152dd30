/**
 * Counters and events of one middleware: how each response was served and why pages were not stored.
 * The read-through events of the keys (`hit`, `miss`, `load`, `lock:*`, `wait:*`, ...) are the cache's,
 * under keys starting with `http:`.
 */
import { TypedEmitter } from '../events.js';
import type { CacheStatus } from './record.js';
import type { BypassReason } from './request-policy.js';
import type { NotStoredReason } from './response-policy.js';

export interface ResponseCacheEvents {
  /** A request was answered (or handed to the handlers, for MISS and BYPASS). */
  response: { key: string | undefined; url: string; cacheStatus: CacheStatus; reason?: BypassReason };
  /** A render of this process was not stored (or stored as a "not cacheable" marker). */
  'not-stored': { key: string; url: string; reason: NotStoredReason };
}

export interface ResponseCacheStats {
  hit: number;
  stale: number;
  miss: number;
  wait: number;
  bypass: number;
  /** BYPASS responses by reason. */
  bypassed: Partial<Record<BypassReason, number>>;
  /** Renders of this process not stored, by reason. */
  notStored: Partial<Record<NotStoredReason, number>>;
}

/** The counter of each `X-Cache` status. */
const COUNTER = {
  HIT: 'hit',
  STALE: 'stale',
  MISS: 'miss',
  WAIT: 'wait',
  BYPASS: 'bypass',
} as const satisfies Record<CacheStatus, keyof ResponseCacheStats>;

export class ResponseCacheMonitor {
  readonly #events = new TypedEmitter<ResponseCacheEvents>();
  readonly #stats: ResponseCacheStats = {
    hit: 0,
    stale: 0,
    miss: 0,
    wait: 0,
    bypass: 0,
    bypassed: {},
    notStored: {},
  };

  /** Counts a response; its event is built only when someone listens (this runs on every hit). */
  served(key: string | undefined, url: string, cacheStatus: CacheStatus, reason?: BypassReason): void {
    const s = this.#stats;
    s[COUNTER[cacheStatus]]++;
    if (reason) s.bypassed[reason] = (s.bypassed[reason] ?? 0) + 1;
    if (this.#events.listening('response')) {
      this.#events.emit('response', { key, url, cacheStatus, ...(reason ? { reason } : {}) });
    }
  }

  notStored(event: ResponseCacheEvents['not-stored']): void {
    this.#stats.notStored[event.reason] = (this.#stats.notStored[event.reason] ?? 0) + 1;
    this.#emit('not-stored', event);
  }

  stats(): ResponseCacheStats {
    const s = this.#stats;
    return { ...s, bypassed: { ...s.bypassed }, notStored: { ...s.notStored } };
  }

  on<K extends keyof ResponseCacheEvents>(name: K, listener: (event: ResponseCacheEvents[K]) => void): void {
    this.#events.on(name, listener);
  }

  off<K extends keyof ResponseCacheEvents>(name: K, listener: (event: ResponseCacheEvents[K]) => void): void {
    this.#events.off(name, listener);
  }

  #emit<K extends keyof ResponseCacheEvents>(name: K, event: ResponseCacheEvents[K]): void {
    if (this.#events.listening(name)) this.#events.emit(name, event);
  }
}
