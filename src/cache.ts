/**
 * createCache(): the public face of the read-through policy. It resolves options, builds the store,
 * coalesces calls in-process, and hands misses to the read-through state machine in `read-through/`.
 */

import { argumentsKey } from './arguments-key.js';
import type { Envelope } from './envelope.js';
import { CacheClosedError, InvalidOptionError, MovedError, StoreError } from './errors.js';
import {
  CacheEventEmitter,
  type CacheEventName,
  type CacheEvents,
  type CacheStats,
  emptyStats,
  warnCallbackFailure,
} from './events.js';
import { LoadGuard } from './invalidation/load-guard.js';
import { hardPurge, softPurge } from './invalidation/purge.js';
import { stampOf, type TagState } from './invalidation/tag-state.js';
import { TagVersions } from './invalidation/tag-versions.js';
import { toStoreKey } from './keys.js';
import type { Loader } from './loader-context.js';
import { SafeLock } from './lock/safe-lock.js';
import {
  type CacheOptions,
  checkTags,
  type ResolvedCacheOptions,
  type ResolvedPolicy,
  resolveCacheOptions,
  resolveSetOptions,
  resolveWrapOptions,
  type WrapOptions,
} from './options.js';
import { type Answer, servable } from './read-through/answer.js';
import { Entries, type EntryKey } from './read-through/entries.js';
import { recursionOn } from './read-through/load-chain.js';
import { type HeldEntry, MemoryTier } from './read-through/memory-tier.js';
import { type ReadRequest, ReadThrough } from './read-through/read-through.js';
import { Singleflight } from './read-through/singleflight.js';
import type { Replay } from './recorder.js';
import { SafeModeController, type SafeModeStatus } from './safe-mode/controller.js';
import { MemcachedStore } from './store/memjs/memcached-store.js';
import { MetaStore } from './store/meta/meta-store.js';
import type { RendezvousPool } from './store/rendezvous-pool.js';
import type { Store } from './store/store.js';

export interface CachedOptions<A extends unknown[]> extends Omit<WrapOptions, 'replay' | 'tags'> {
  /**
   * Builds the key suffix from the arguments; must return a non-empty string. @default a stable encoding
   * of the arguments that refuses what it cannot tell apart (see arguments-key.ts)
   */
  key?: (...args: A) => string;
  /**
   * The tags of a call's entry, from its arguments (`(id) => ['product:' + id]`), or the same tags for
   * every call: see `WrapOptions.tags`. @default none
   */
  tags?: readonly string[] | ((...args: A) => readonly string[]);
}

export interface SetOptions {
  /** Seconds the value is fresh. @default the cache's `ttl` */
  ttl?: number;
  /** Tags of the stored entry (see `WrapOptions.tags`). @default none */
  tags?: readonly string[];
}

/** Options of `invalidateTags()`. */
export interface InvalidateTagsOptions {
  /**
   * Hard: entries carrying the tags are not served at all any more (a miss, as after `delete()`), instead
   * of stale within their `grace` / `staleIfError` windows while one worker refreshes them. @default false
   */
  hard?: boolean;
}

export class Cache {
  readonly #options: ResolvedCacheOptions;
  readonly #store: Store;
  readonly #events = new CacheEventEmitter();
  readonly #stats: CacheStats = emptyStats();
  readonly #entries: Entries;
  readonly #tagVersions: TagVersions;
  readonly #flights = new Singleflight<unknown, ReadRequest<unknown>>();
  readonly #readThrough: ReadThrough;
  readonly #safeMode: SafeModeController;
  /** The in-process tier in front of memcached; undefined when off (`memory` option). */
  readonly #memory: MemoryTier | undefined;
  /** How a flight reads the key: through the memory tier when it is on, chosen once so a hit pays no test for it. */
  readonly #fetch: (request: ReadRequest<unknown>) => Promise<unknown>;
  /** The stores this cache created (not a `store` passed in): `close()` closes these and only these. */
  readonly #owned: Store[] = [];
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: CacheOptions = {}) {
    this.#options = resolveCacheOptions(options);
    const o = this.#options;
    // Wired here, once: the store, the gutter pool, and safe mode's view of the store (its routing).
    const store = o.store ?? this.#openPool(o.servers);
    const nodePool = o.safeMode === 'off' ? undefined : store.nodePool;
    const gutter = nodePool && o.failover === 'gutter' ? this.#openPool(o.gutterServers) : undefined;
    const safeMode = new SafeModeController(o, nodePool, gutter, this.#events, this.#stats);
    this.#safeMode = safeMode;
    this.#store = safeMode.route(store);
    this.#tagVersions = new TagVersions(this.#store, o.namespace);
    const guard = new LoadGuard(this.#store, this.#tagVersions, o.markerTtl);
    this.#entries = new Entries(
      this.#store,
      o.serializer,
      o.maxValueBytes,
      this.#events,
      this.#stats,
      this.#tagVersions,
      guard,
    );
    const lock = new SafeLock(this.#store, o.lockTtl);
    this.#memory = o.memory ? new MemoryTier(o.memory) : undefined;
    this.#readThrough = new ReadThrough({
      entries: this.#entries,
      lock,
      events: this.#events,
      stats: this.#stats,
      poll: { minMs: o.pollMinMs, maxMs: o.pollMaxMs, factor: o.pollFactor },
      shouldLock: (policy) => policy.lock || safeMode.active,
      limitLoad: (task, maxWaitMs) => safeMode.limitLoad(task, maxWaitMs),
      shouldRetry: (error) => safeMode.shouldRetry(error),
      ...(this.#memory ? { memory: this.#memory } : {}),
      ...(o.recorder
        ? { observeCost: (key: string, costMs: number) => this.#record(key, undefined, costMs) }
        : {}),
    });
    const readThrough = this.#readThrough;
    this.#fetch = this.#memory
      ? (request) => readThrough.fetchThroughMemory(request)
      : (request) => readThrough.fetch(request);
  }

  /**
   * Returns the cached value of `key`, or loads it with `loader` — exactly once across every process
   * sharing memcached when locking applies. Loader errors reach every joined caller and are not cached.
   */
  wrap<T>(key: string, loader: Loader<T>, options?: WrapOptions): Promise<T> {
    const policy = this.#callPolicy(loader, options);
    if (policy instanceof Promise) return policy;
    const held = this.#memory === undefined ? undefined : this.#fromMemory(key, loader, policy, options);
    if (held !== undefined) {
      held.settled ??= Promise.resolve(held.entry.value);
      return held.settled as Promise<T>;
    }
    const flight = this.#start(key, loader, options, policy);
    return flight instanceof Promise ? flight : (flight.promise as Promise<T>);
  }

  /**
   * `wrap()` that also says how the value was got (`source`: hit, stale, waited, loaded) and how fresh it
   * is (`freshUntil`): what an adapter needs to tell its clients (the HTTP layer's `X-Cache` and `Age`).
   * A call joined on another call in flight for the key got that call's value: `loaded` reads `waited`.
   */
  answer<T>(key: string, loader: Loader<T>, options?: WrapOptions): Promise<Answer<T>> {
    const policy = this.#callPolicy(loader, options);
    if (policy instanceof Promise) return policy;
    const held = this.#memory === undefined ? undefined : this.#fromMemory(key, loader, policy, options);
    if (held !== undefined) {
      const { value, freshUntil } = held.entry;
      return Promise.resolve({ value: value as T, source: 'hit', freshUntil });
    }
    const flight = this.#start(key, loader, options, policy);
    if (flight instanceof Promise) return flight;
    const { meta: request } = flight;
    return flight.promise.then((value) => ({
      value: value as T,
      source: request.source ?? 'loaded',
      freshUntil: request.freshUntil,
    }));
  }

  /**
   * `answer()` when the memory tier can answer at once: the same hit, synchronously (counted, recorded and
   * refreshed early like any hit); undefined when answering needs memcached or a load (call `answer()`),
   * or when the memory tier is off. What an adapter's hot path uses to answer a held key in the same
   * turn, with no promise. Throws what `answer()` rejects with (`CacheClosedError`, `InvalidOptionError`).
   */
  answerSync<T>(key: string, loader: Loader<T>, options?: WrapOptions): Answer<T> | undefined {
    if (this.#memory === undefined) return undefined;
    const held = this.#fromMemory(key, loader, this.#checkedPolicy(loader, options), options);
    if (held === undefined) return undefined;
    const { value, freshUntil } = held.entry;
    return { value: value as T, source: 'hit', freshUntil };
  }

  /**
   * The stored value of `key` with its freshness, if it answers a read under `options` now (fresh, or
   * stale within the effective `grace`), without loading, locking or refreshing anything; undefined
   * otherwise, or if memcached fails. `source` is `hit` or `stale`. Reads the memory tier first when it is on.
   */
  async peek<T = unknown>(key: string, options?: WrapOptions): Promise<Answer<T> | undefined> {
    this.#assertOpen();
    const policy = resolveWrapOptions(options, this.#options.policy, 'peek().');
    const held = this.#memory?.get(key, Date.now());
    if (held !== undefined)
      return { value: held.entry.value as T, source: 'hit', freshUntil: held.entry.freshUntil };
    const k = { key, storeKey: toStoreKey(this.#options.namespace, key) };
    try {
      const entry = await this.#read(k);
      const source = entry ? servable(entry, policy, Date.now()) : undefined;
      if (entry && source) return { value: entry.value as T, source, freshUntil: entry.freshUntil };
    } catch (error) {
      this.#reportStoreError(key, error);
    }
    return undefined;
  }

  /**
   * The read-through policy a call with `options` runs with (the cache's, overridden by them). Validates
   * like `wrap()`: throws `InvalidOptionError`, naming options with `where` (e.g. `'middleware().'`).
   */
  policy(options?: WrapOptions, where = 'wrap().'): Readonly<ResolvedPolicy> {
    return resolveWrapOptions(options, this.#options.policy, where);
  }

  /** The policy of a `wrap()`/`answer()` call, or a rejected promise when the call is invalid. */
  #callPolicy(loader: unknown, options: WrapOptions | undefined): ResolvedPolicy | Promise<never> {
    try {
      return this.#checkedPolicy(loader, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The policy of a call; throws `CacheClosedError` or `InvalidOptionError` when the call is invalid. */
  #checkedPolicy(loader: unknown, options: WrapOptions | undefined): ResolvedPolicy {
    if (this.#closed) throw new CacheClosedError();
    if (typeof loader !== 'function') throw new InvalidOptionError('loader', 'a function', loader);
    return resolveWrapOptions(options, this.#options.policy, 'wrap().');
  }

  /**
   * The tier's one test on the hit path. A hit there needs no flight (nothing to wait for, nothing to
   * share), no store key and no promise of its own: the tier holds only keys that were valid.
   */
  #fromMemory<T>(
    key: string,
    loader: Loader<T>,
    policy: ResolvedPolicy,
    options: WrapOptions | undefined,
  ): HeldEntry | undefined {
    const held = this.#readThrough.fromMemory(key, loader, policy);
    if (held !== undefined && this.#options.recorder) this.#record(key, options?.replay);
    return held;
  }

  /** Starts (or joins) the flight of a valid call; a rejected promise when its key is invalid or recursive. */
  #start<T>(
    key: string,
    loader: Loader<T>,
    options: WrapOptions | undefined,
    policy: ResolvedPolicy,
  ): Promise<never> | { promise: Promise<unknown>; joined: boolean; meta: ReadRequest<unknown> } {
    let storeKey: string;
    try {
      storeKey = toStoreKey(this.#options.namespace, key);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#options.recorder) this.#record(key, options?.replay);
    const request: ReadRequest<unknown> = {
      key,
      storeKey,
      tags: policy.tags,
      loader,
      policy,
      source: undefined,
      freshUntil: undefined,
    };
    const flight = this.#flights.run(storeKey, () => this.#fetch(request), request);
    if (!flight.joined) return flight;
    // Joining a load this call is itself inside would wait for itself.
    const recursion = recursionOn(request);
    if (recursion) return Promise.reject(recursion);
    this.#stats.coalesced++;
    this.#events.emit('coalesced', { key });
    // Bounded by this call's wait budget, not by the loader it joined; answers with its own request.
    const leader = flight.meta;
    const promise = this.#readThrough.join(flight.promise, request, () => {
      request.source = leader.source === 'loaded' ? 'waited' : leader.source;
      request.freshUntil = leader.freshUntil;
    });
    return { promise, joined: true, meta: request };
  }

  /**
   * @deprecated Moved to the `stampede-guard/express` entry point, so the root needs no Express types:
   * `import { cacheMiddleware } from 'stampede-guard/express'` and `cacheMiddleware(cache, options)`.
   * Throws a `MovedError` (code `E_MOVED`) naming it.
   */
  middleware(..._options: unknown[]): never {
    throw new MovedError(
      'cache.middleware()',
      "import { cacheMiddleware } from 'stampede-guard/express' and call cacheMiddleware(cache, options)",
    );
  }

  /**
   * Wraps a function: each call is `wrap(name + ':' + key(args), () => fn(...args))`.
   * Key format: `<name>:<key of the arguments>`. The default key is the JSON of the argument list with
   * object properties sorted, so `cached('product', fn)(42)` uses the key `product:[42]`,
   * `(42, { b: 1, a: 2 })` uses `product:[42,{"a":2,"b":1}]`, and a call without arguments uses `product:`;
   * values JSON would merge get their own spelling (`-0`, `undefined`, `Date("…")`, `Uint8Array([1,2])`), so
   * distinct arguments get distinct keys. This is the key that `get()`, `set()`, `delete()` and the hotlist
   * see (before the cache's `namespace`). An argument it cannot tell apart from others (a Map, a class
   * instance, a symbol...) rejects the call with an `InvalidOptionError` naming it: pass a `key` function
   * for those. Invalid options throw here, at definition, not at the first call.
   */
  cached<A extends unknown[], T>(
    name: string,
    fn: (...args: A) => T | Promise<T>,
    options: CachedOptions<A> = {},
  ): (...args: A) => Promise<T> {
    if (typeof name !== 'string' || name.length === 0)
      throw new InvalidOptionError('name', 'a non-empty string', name);
    if (typeof fn !== 'function') throw new InvalidOptionError('fn', 'a function', fn);
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionError('cached()', 'an object', options);
    }
    const { key: keyOf, tags: tagsOf, ...wrapOptions } = options;
    if (keyOf !== undefined && typeof keyOf !== 'function')
      throw new InvalidOptionError('cached().key', 'a function', keyOf);
    if (tagsOf !== undefined && typeof tagsOf !== 'function') checkTags('cached().tags', tagsOf);
    // cached() describes its calls' replay itself (the function's name and arguments).
    if ('replay' in wrapOptions)
      throw new InvalidOptionError('cached().replay', 'a known option (unknown name)', 'replay');
    resolveWrapOptions(wrapOptions, this.#options.policy, 'cached().'); // fail at definition, not at first call
    return (...args: A) => {
      let suffix: unknown;
      try {
        suffix = keyOf ? keyOf(...args) : argumentsKey(args);
      } catch (error) {
        return Promise.reject(error);
      }
      // A key() that returns a non-string would turn distinct arguments into one key ("[object Object]").
      if (keyOf && (typeof suffix !== 'string' || suffix.length === 0))
        return Promise.reject(
          new InvalidOptionError('cached().key', 'a function returning a non-empty string', suffix),
        );
      const replay: Replay = { kind: 'loader', name, args };
      let tags: readonly string[] | undefined;
      try {
        tags = typeof tagsOf === 'function' ? tagsOf(...args) : tagsOf;
      } catch (error) {
        return Promise.reject(error);
      }
      // Object.assign, not a spread with extra properties: V8 builds those on a slow path (see protocol.ts).
      const callOptions = Object.assign({}, wrapOptions, tags === undefined ? { replay } : { replay, tags });
      return this.wrap(`${name}:${suffix}`, () => fn(...args), callOptions);
    };
  }

  /**
   * The value of `key` if present and fresh (or within grace); undefined otherwise, or if memcached fails.
   * Reads the memory tier first when it is on.
   */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    this.#assertOpen();
    const held = this.#memory?.get(key, Date.now());
    if (held !== undefined) return held.entry.value as T;
    const k = { key, storeKey: toStoreKey(this.#options.namespace, key) };
    try {
      const entry = await this.#read(k);
      if (entry && servable(entry, this.#options.policy, Date.now())) return entry.value as T;
    } catch (error) {
      this.#reportStoreError(key, error);
    }
    return undefined;
  }

  /**
   * Stores `value` under `key` (with `tags`, stamped with their versions now). Resolves false when it was
   * not stored (too large: see the event); rejects with SerializationError or StoreError, since the caller
   * asked for this write explicitly. A load of the key in flight anywhere will not store over it.
   */
  async set(key: string, value: unknown, options?: SetOptions): Promise<boolean> {
    this.#assertOpen();
    const k = { key, storeKey: toStoreKey(this.#options.namespace, key) };
    const policy = resolveSetOptions(options, this.#options.policy);
    const states = policy.tags.length > 0 ? await this.#tagVersions.ensure(policy.tags) : undefined;
    const stamps = policy.tags.map((tag) => ({ tag, version: stampOf(states?.get(tag) as TagState) }));
    const freshUntil = Date.now() + policy.ttl * 1000;
    const bytes = this.#entries.encode(k, value, 0, policy, false, freshUntil, stamps);
    // Forgotten first: whatever this write does, this process no longer serves the value it replaces.
    this.#memory?.forget(key);
    const stored = (await this.#entries.write(k, bytes, policy)) === 'stored';
    if (stored && stamps.length === 0)
      this.#memory?.remember(k, { value, freshUntil, costMs: 0 }, bytes.length);
    return stored;
  }

  /**
   * Hard purge: `key` reads as absent at once, cluster-wide (no stale value is served). Leaves a marker
   * for `markerTtl`, so a load that began before this call does not store what it read. Resolves whether
   * an entry existed; rejects with StoreError (an invalidation must not vanish silently).
   */
  async delete(key: string): Promise<boolean> {
    this.#assertOpen();
    const storeKey = toStoreKey(this.#options.namespace, key);
    this.#memory?.forget(key);
    const existed = await hardPurge(this.#store, storeKey, this.#options.markerTtl);
    this.#invalidated(key, undefined, true);
    return existed;
  }

  /**
   * Soft purge: `key` stops being fresh at once, cluster-wide. Within `grace` (and `staleIfError`) of now,
   * readers get the old value at once while exactly one worker refreshes it; past them it is a miss. A
   * load that began before this call does not store what it read. Resolves whether an entry existed;
   * rejects with StoreError.
   */
  async invalidate(key: string): Promise<boolean> {
    this.#assertOpen();
    const storeKey = toStoreKey(this.#options.namespace, key);
    this.#memory?.forget(key);
    const { grace, staleIfError } = this.#options.policy;
    const keep = Math.max(grace, staleIfError);
    const existed = await softPurge(this.#store, storeKey, this.#options.markerTtl, keep);
    this.#invalidated(key, undefined, false);
    return existed;
  }

  /**
   * Invalidates every entry carrying any of `tags`, cluster-wide, in two memcached calls per tag whatever
   * the number of entries: soft by default (stale within their `grace` / `staleIfError`, one refresh
   * each), or hard (`{ hard: true }`: not served at all). Entries are judged when read, against the tag
   * versions they were stored with. Rejects with StoreError, or InvalidOptionError for bad tags.
   */
  async invalidateTags(tags: readonly string[], options: InvalidateTagsOptions = {}): Promise<void> {
    this.#assertOpen();
    checkTags('tags', tags);
    if (typeof options !== 'object' || options === null)
      throw new InvalidOptionError('invalidateTags()', 'an object', options);
    const hard = options.hard ?? false;
    if (typeof hard !== 'boolean') throw new InvalidOptionError('invalidateTags().hard', 'a boolean', hard);
    // The memory tier holds no tagged entry: nothing of this process's to forget.
    await this.#tagVersions.invalidate([...new Set(tags)], hard);
    this.#invalidated(undefined, tags, hard);
  }

  /**
   * Reloads `key` now with `loader` (by default the loader of this process's last load of the key) and
   * stores the new value; readers keep getting the old one until it lands. Runs under the `safe-` lock
   * (waiting up to `waitTimeoutMs` for a holder); refreshes of one key asked for together coalesce.
   * Resolves the new value; rejects with the loader's error, or `InvalidOptionError` when there is no
   * loader to run. An invalidation landing meanwhile wins: the value is then returned, not stored.
   */
  async refresh<T = unknown>(key: string, loader?: Loader<T>, options?: WrapOptions): Promise<T> {
    this.#assertOpen();
    const storeKey = toStoreKey(this.#options.namespace, key);
    const last = this.#readThrough.lastLoad(storeKey);
    const run = (loader ?? last?.loader) as Loader<T> | undefined;
    if (typeof run !== 'function')
      throw new InvalidOptionError('loader', 'a function (this process has not loaded the key lately)', run);
    const base = loader === undefined && last ? last.policy : this.#options.policy;
    const policy = resolveWrapOptions(options, base, 'refresh().');
    this.#memory?.forget(key);
    const request: ReadRequest<T> = {
      key,
      storeKey,
      tags: policy.tags,
      loader: run,
      policy,
      source: undefined,
      freshUntil: undefined,
    };
    const value = await this.#readThrough.refresh(request);
    this.#memory?.forget(key);
    return value;
  }

  #invalidated(key: string | undefined, tags: readonly string[] | undefined, hard: boolean): void {
    this.#stats.invalidations++;
    this.#events.emit('invalidate', { key, tags, hard });
  }

  /**
   * Listens to a cache event; the payload of each event is the matching property of {@link CacheEvents}.
   * A listener that throws becomes a process warning, never a failed call.
   */
  on<K extends CacheEventName>(name: K, listener: (event: CacheEvents[K]) => void): this {
    this.#events.on(name, listener);
    return this;
  }

  /** Like {@link Cache.on}, for the next event of that name only. */
  once<K extends CacheEventName>(name: K, listener: (event: CacheEvents[K]) => void): this {
    this.#events.once(name, listener);
    return this;
  }

  /** Removes a listener added with {@link Cache.on} or {@link Cache.once}. */
  off<K extends CacheEventName>(name: K, listener: (event: CacheEvents[K]) => void): this {
    this.#events.off(name, listener);
    return this;
  }

  /** A snapshot of the counters since the cache was created (fields: {@link CacheStats}). */
  stats(): CacheStats {
    return {
      ...this.#stats,
      safeModeActive: this.#safeMode.active,
      queuedLoads: this.#safeMode.queuedLoads,
    };
  }

  /** Whether safe mode is on, why, and the health of every memcached node. */
  get safeMode(): SafeModeStatus {
    return this.#safeMode.status();
  }

  /**
   * Waits for calls and background work in flight, at most `closeTimeoutMs`, then closes the memcached
   * connections this cache opened (a `store` passed in stays open: whoever created it closes it). Loads
   * still running then are abandoned: their `ctx.signal` is aborted, their callers reject with
   * `LoadTimeoutError`, waiting callers with `CacheClosedError`. Idempotent: every call resolves when the
   * cache is closed.
   */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    const drain = async () => {
      await this.#flights.drain();
      await this.#readThrough.drain();
    };
    if (!(await settlesWithin(drain(), this.#options.closeTimeoutMs))) {
      this.#readThrough.abandon();
      await drain(); // settles now: loads were rejected, waits ended; lock releases are bounded by opTimeoutMs
    }
    this.#safeMode.close();
    await Promise.all(this.#owned.map((store) => store.close()));
    this.#events.removeAllListeners();
  }

  /** A memcached pool this cache creates (on the configured protocol), and so closes. */
  #openPool(servers: ResolvedCacheOptions['servers']): RendezvousPool {
    const o = this.#options;
    const pool =
      o.protocol === 'meta'
        ? new MetaStore({ servers, opTimeoutMs: o.opTimeoutMs, tls: o.tls })
        : new MemcachedStore({
            servers,
            opTimeoutMs: o.opTimeoutMs,
            username: o.username,
            password: o.password,
          });
    this.#owned.push(pool);
    return pool;
  }

  /** Reads an entry from the store; with the memory tier on, a fresh one is kept there too (as a flight's read). */
  async #read(k: EntryKey): Promise<Envelope | null> {
    if (this.#memory === undefined) return this.#entries.read(k);
    const bytes = await this.#entries.readBytes(k);
    const found = this.#entries.decode(k, bytes);
    if (found !== null && bytes !== null) this.#memory.remember(k, found, bytes.length);
    return found;
  }

  #assertOpen(): void {
    if (this.#closed) throw new CacheClosedError();
  }

  /** Tells the recorder of a request (or, with `costMs`, of a load cost); one that throws fails nothing. */
  #record(key: string, replay: Replay | undefined, costMs?: number): void {
    try {
      if (costMs === undefined) this.#options.recorder?.recordRequest(key, replay);
      else this.#options.recorder?.recordCost(key, costMs);
    } catch (error) {
      warnCallbackFailure('the recorder', error);
    }
  }

  #reportStoreError(key: string, error: unknown): void {
    if (!(error instanceof StoreError)) throw error;
    this.#stats.storeErrors++;
    this.#events.emit('store:error', { key, operation: error.operation, error });
  }
}

/** Whether `work` settled within `ms`; the timer does not outlive the answer. */
async function settlesWithin(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  try {
    return await Promise.race([work.then(() => true as const), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Creates a cache over memcached (`servers`) or over a given `store`. Invalid options throw a TypeError. */
export function createCache(options?: CacheOptions): Cache {
  return new Cache(options);
}
