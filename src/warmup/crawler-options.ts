/** Options of `warmup()`, their defaults and validation (a TypeError naming the option, as p-retry does). */
import type { Cache, CachedOptions } from '../cache.js';
import { InvalidOptionError } from '../errors.js';
import { checkObject, integer, number } from '../validation.js';
import type { HotlistEntry } from './hotlist-format.js';

// biome-ignore lint/suspicious/noExplicitAny: loaders take whatever arguments the hotlist recorded.
type AnyFunction = (...args: any[]) => unknown;

/**
 * A loader warmup can call by name: the plain data-access function (not a `cached()` one: warmup wraps
 * it itself, with the same name, so it gets the same key), with the options the application's `cached()`
 * uses, so the value gets the same TTL and key function.
 */
export type WarmLoader = AnyFunction | { fn: AnyFunction; options?: CachedOptions<unknown[]> };

/** Progress after each finished entry. */
export interface WarmupProgress {
  /** Entries finished (warmed, skipped or failed). */
  done: number;
  /** Entries selected for this run. */
  total: number;
  warmed: number;
  skipped: number;
  uncacheable: number;
  failed: number;
  /** The entry that just finished, and how. */
  entry: HotlistEntry;
  outcome: 'warmed' | 'skipped' | 'uncacheable' | 'failed';
}

export interface WarmupOptions {
  /** What to replay, highest impact first (`readHotlist()` ranks them). */
  entries: readonly HotlistEntry[];
  /** Replay only the first `top` replayable entries. @default all */
  top?: number;
  /** Origin that URL entries are fetched from, through the application and its caching middleware. */
  baseUrl?: string | URL;
  /** The cache that loader entries are replayed through (same servers and namespace as the application). */
  cache?: Cache;
  /** Loaders by the name given to `cached()`, for loader entries. Needs `cache`. */
  loaders?: Readonly<Record<string, WarmLoader>>;
  /** Entries replayed at once. @default 8 */
  concurrency?: number;
  /** Entries started per second, to spare the database; 0 for no limit. @default 50 */
  rate?: number;
  /** Milliseconds one attempt may take (a fetch with its body, or a loader call). @default 10000 */
  timeoutMs?: number;
  /** Retries of a failed attempt (network errors, timeouts, HTTP 5xx/429, loader errors). @default 2 */
  retries?: number;
  /** Delay before the first retry in ms; it doubles with each retry, with jitter, up to 30 s. @default 250 */
  retryDelayMs?: number;
  /**
   * Replay entries that are already cached: loader entries are deleted first and loaded again; URL
   * entries are fetched and counted as warmed whatever `X-Cache` says, if stored (else uncacheable).
   * @default false
   */
  force?: boolean;
  /** Stops scheduling entries; those in flight finish (each within `timeoutMs`), retries are not made. */
  signal?: AbortSignal;
  /** Called after each entry. Must not throw. */
  onProgress?: (progress: WarmupProgress) => void;
}

export interface ResolvedWarmupOptions {
  entries: readonly HotlistEntry[];
  top: number;
  baseUrl: URL | undefined;
  cache: Cache | undefined;
  loaders: Readonly<Record<string, WarmLoader>>;
  concurrency: number;
  rate: number;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  force: boolean;
  signal: AbortSignal | undefined;
  onProgress: ((progress: WarmupProgress) => void) | undefined;
}

const WARMUP_OPTIONS: ReadonlySet<string> = new Set([
  'entries',
  'top',
  'baseUrl',
  'cache',
  'loaders',
  'concurrency',
  'rate',
  'timeoutMs',
  'retries',
  'retryDelayMs',
  'force',
  'signal',
  'onProgress',
]);

export function resolveWarmupOptions(input: WarmupOptions): ResolvedWarmupOptions {
  checkObject('options', input, WARMUP_OPTIONS, '');
  // Defaults replace `undefined` only: `null` is no option value here, and fails validation below.
  const {
    top = Number.POSITIVE_INFINITY,
    concurrency = 8,
    rate = 50,
    timeoutMs = 10_000,
    retries = 2,
    retryDelayMs = 250,
    force = false,
  } = input;
  const o = { ...input, top, concurrency, rate, timeoutMs, retries, retryDelayMs, force };

  if (!Array.isArray(o.entries))
    throw new InvalidOptionError('entries', 'an array of hotlist entries', o.entries);
  if (!(o.top === Number.POSITIVE_INFINITY || (Number.isInteger(o.top) && o.top >= 1))) {
    throw new InvalidOptionError('top', 'an integer >= 1', o.top);
  }
  integer('concurrency', o.concurrency, 1, 10_000);
  number('rate', o.rate, 0);
  number('timeoutMs', o.timeoutMs, 1);
  integer('retries', o.retries, 0, 100);
  number('retryDelayMs', o.retryDelayMs, 0);
  if (typeof o.force !== 'boolean') throw new InvalidOptionError('force', 'a boolean', o.force);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') {
    throw new InvalidOptionError('onProgress', 'a function', o.onProgress);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new InvalidOptionError('signal', 'an AbortSignal', o.signal);
  }
  let baseUrl: URL | undefined;
  if (o.baseUrl !== undefined) {
    baseUrl = URL.canParse(String(o.baseUrl)) ? new URL(String(o.baseUrl)) : undefined;
    if (baseUrl?.protocol !== 'http:' && baseUrl?.protocol !== 'https:') {
      throw new InvalidOptionError('baseUrl', 'an http:// or https:// URL', o.baseUrl);
    }
  }
  const loaders = o.loaders === undefined ? {} : o.loaders;
  if (typeof loaders !== 'object' || loaders === null) {
    throw new InvalidOptionError('loaders', 'an object of functions by name', loaders);
  }
  for (const [name, loader] of Object.entries(loaders)) {
    const fn = typeof loader === 'function' ? loader : loader?.fn;
    if (typeof fn !== 'function') {
      throw new InvalidOptionError(`loaders.${name}`, 'a function or { fn, options }', loader);
    }
  }
  if ((o.cache !== undefined || Object.keys(loaders).length > 0) && typeof o.cache?.cached !== 'function') {
    throw new InvalidOptionError('cache', 'a Cache when `loaders` are given', o.cache);
  }
  return {
    entries: o.entries,
    top: o.top,
    baseUrl,
    cache: o.cache,
    loaders,
    concurrency: o.concurrency,
    rate: o.rate,
    timeoutMs: o.timeoutMs,
    retries: o.retries,
    retryDelayMs: o.retryDelayMs,
    force: o.force,
    signal: o.signal,
    onProgress: o.onProgress,
  };
}
