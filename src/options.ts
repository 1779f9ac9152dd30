/**
 * Every option of stampede-guard, its default and its validation, in one place.
 * Units: TTLs and windows are in seconds (memcached's unit), timings of calls and polls in milliseconds.
 */
import type { ConnectionOptions } from 'node:tls';
import { InvalidOptionError } from './errors.js';
import { isValidNamespace } from './keys.js';
import type { AccessRecorder, Replay } from './recorder.js';
import type { FailoverMode, SafeModeSetting, SafeModeSettings } from './safe-mode/settings.js';
import { jsonSerializer, type Serializer } from './serializer.js';
import type { Store } from './store/store.js';
import { checkObject, integer, number, oneOf, optionalString } from './validation.js';

export type { SafeModeSetting };
export type WaitTimeoutPolicy = 'load' | 'stale' | 'throw';

/** A memcached node: `'host:port'` (optionally `'user:pass@host:port'`), or an object with a weight. */
export type ServerSpec = string | { address: string; weight?: number };

/** Options of the read-through policy; each can also be given per `wrap()` / `cached()` call. */
export interface PolicyOptions {
  /** Seconds a loaded value is fresh. @default 60 */
  ttl?: number;
  /**
   * Seconds after `ttl` during which the stale value is served at once while exactly one worker
   * cluster-wide refreshes it in the background. 0 disables. @default 0
   */
  grace?: number;
  /**
   * Seconds after `ttl` during which a stale value is kept to be served when the loader fails
   * (or when a wait times out with `onWaitTimeout: 'stale'`). 0 disables. @default 0
   */
  staleIfError?: number;
  /**
   * XFetch probabilistic early refresh: a fresh value is refreshed in the background when
   * `now - cost * beta * ln(random()) >= freshUntil`. 1 is the paper's choice; 0 disables. @default 0
   */
  beta?: number;
  /**
   * Wait budget in ms for a worker that lost the lock, and for a call joined on another call for the key
   * in this process (it never waits longer on a loader than this); then `onWaitTimeout` applies.
   * @default 10000
   */
  waitTimeoutMs?: number;
  /**
   * What a waiter does when its budget is spent and the value still is not there:
   * `'load'` loads it itself, `'stale'` serves a kept stale value (else loads), `'throw'` rejects
   * with `WaitTimeoutError`. @default 'load'
   */
  onWaitTimeout?: WaitTimeoutPolicy;
  /**
   * Soft load timeout in ms: once a load has run this long, its callers that hold a stale value (kept by
   * `staleIfError`) get it at once; the load goes on in the background and stores its result unless
   * `hardTimeoutMs` ends it. Callers without a stale value keep waiting. 0 disables. @default 0
   */
  loadTimeoutMs?: number;
  /**
   * Hard load timeout in ms: a loader still running after it has its `ctx.signal` aborted, its callers
   * reject with `LoadTimeoutError` (or get a value kept by `staleIfError`, as for any loader failure), the
   * lock is released and nothing is stored. 0 disables: a loader that never settles then holds its lock and
   * its leading caller until it does (joiners and waiters still give up after `waitTimeoutMs`). @default 0
   */
  hardTimeoutMs?: number;
}

/** Options of one `wrap()` call (or of every call of a `cached()` function). */
export interface WrapOptions extends PolicyOptions {
  /** Take the `safe-` lock on a miss even when safe mode is off. @default false */
  lock?: boolean;
  /**
   * Tags of the entry (a table, a product, a category...): `cache.invalidateTags([tag])` makes every entry
   * carrying it stale at once, cluster-wide, whatever their number. A hit costs one round trip: the entry's
   * get and the namespace's tag epoch go out together, and the tags' versions are read again only after
   * an invalidation moved the epoch. Non-empty strings, at most 64.
   * @default none
   */
  tags?: readonly string[];
  /**
   * `wrap()` only: how a warmup can reproduce this call, handed to the cache's `recorder` with the
   * request (`{ kind: 'loader', name, args }` or `{ kind: 'url', url }`). `cached()` functions and the
   * HTTP middleware describe their own calls; set it on your `wrap()` calls (an adapter for another
   * framework) to have their keys warmed.
   * @default none (the key is counted, not replayable)
   */
  replay?: Replay;
}

export interface CacheOptions extends PolicyOptions {
  /**
   * memcached nodes. Falls back to the `MEMCACHED_SERVERS` environment variable (comma-separated),
   * then to `127.0.0.1:11211`. Ignored when `store` is given.
   */
  servers?: ServerSpec | ServerSpec[];
  /**
   * How the cache speaks to memcached: `'binary'` through memjs (memcached's binary protocol, deprecated
   * since memcached 1.6 but what 0.1 used), or `'meta'`, memcached's meta text protocol through the
   * library's own pipelined client (the one that can use `tls`). Both use the same keys, values and
   * routing, so processes on either protocol can share nodes. `'binary'` stays the default (it works with
   * any memcached, and an upgrade must not change an app's wire protocol unasked), although `'meta'` won or
   * tied every benchmark row and fault test: choose it for speed or TLS on memcached 1.6+. @default 'binary'
   */
  protocol?: Protocol;
  /**
   * TLS to every node (memcached started with `-Z`): `true` for Node's defaults (system CAs), or
   * `tls.connect` options (`ca`, `servername`, client `cert`/`key`...). Only with `protocol: 'meta'`.
   */
  tls?: boolean | ConnectionOptions;
  /** SASL user name passed to every node (`protocol: 'binary'` only: memjs). */
  username?: string;
  /** SASL password passed to every node (`protocol: 'binary'` only: memjs). */
  password?: string;
  /**
   * A ready store instead of `servers`: `new MemoryStore()` for one process or unit tests, a
   * `MemcachedStore` shared by several caches, or your wrapper around one (safe mode keeps working if it
   * forwards call options and `nodePool`). The cache does not close it: whoever created it does.
   */
  store?: Store;
  /**
   * Prefix of every key, so several apps can share memcached: `<namespace>:<key>`. Printable ASCII without
   * `:`, not starting with `safe-` (the lock keys' prefix) or `tag-` (the tag keys'). @default ''
   */
  namespace?: string;
  /**
   * `'auto'`: a health monitor probes every memcached node and turns safe mode on when one dies, hangs
   * or restarts empty (locks on every miss, failover routing, `maxConcurrentLoads`), off once all have been
   * healthy for `settleMs`. `'always'`: safe mode permanently on. `'off'`: no locks, no monitor, in-process
   * coalescing only. With a `store` that has no `nodePool` (`MemoryStore`), `'auto'` has no nodes to
   * watch and never turns on.
   * @default 'auto'
   */
  safeMode?: SafeModeSetting;
  /** How often the monitor probes each node, in ms. @default 1000 */
  probeIntervalMs?: number;
  /** Timeout of one probe, in ms: a node that does not answer in time counts as failing. @default 250 */
  probeTimeoutMs?: number;
  /** Consecutive failed probes or calls that make a node down (a refused connection does at once). @default 2 */
  downAfter?: number;
  /** How long every node must stay healthy before safe mode turns off, in ms. @default 10000 */
  settleMs?: number;
  /**
   * Loader calls running at once in this process while safe mode is on; the rest queue in order, each for
   * at most its `waitTimeoutMs` (then it runs: a loader calling another cached function cannot deadlock).
   * @default 8
   */
  maxConcurrentLoads?: number;
  /** Where a down node's keys go: next node in hash order, a `gutterServers` pool, or nowhere. @default 'rehash' */
  failover?: FailoverMode;
  /** Longest TTL, in seconds, of anything written away from its home node during failover. @default 30 */
  failoverTtl?: number;
  /** The gutter pool for `failover: 'gutter'`. */
  gutterServers?: ServerSpec | ServerSpec[];
  /**
   * Nodes each entry lives on: writes of an entry (and every other key the cache writes, except the `safe-`
   * locks) go to the first `replicas` nodes of the key's rendezvous order, issued together; reads go to the
   * first of them that is up, and a miss there reads the next one (copying a value it finds back with
   * `add`). With 2, a node's death costs no load for its keys. A replica that misses a write is an event
   * (`replica:error`), not the caller's error. Locks stay on one node: the first node of the order that is
   * up. Needs safe mode's monitor (not `safeMode: 'off'`); more than the nodes there are means every node.
   * @default 1
   */
  replicas?: 1 | 2 | 3;
  /**
   * Warm returns: for this many ms after a node comes back (restarted empty, or returned after failover), a
   * miss on it reads the node that served its keys meanwhile and copies the value home with `add` (never
   * over a newer value), for at most `failoverTtl` seconds. 0 disables. On by default: it costs one read per
   * miss on a returning node, and writes of its keys reach that other node too while it lasts.
   * @default 30000
   */
  warmReturnMs?: number;
  /**
   * Keys per node this process remembers writing elsewhere while the node was down. When the node answers
   * again, they are deleted there before its keys route home, so a node that only hung cannot serve values
   * older than the writes of its outage. Past this bound the node is flushed instead (memcached
   * `flush_all`: it comes back empty, and warm returns refill it).
   * @default 100000
   */
  maxAwayKeys?: number;
  /**
   * Seconds the marker of a `delete()` (a tombstone, read as absent) lives, and at least how long an
   * `invalidate()`d entry is kept: a load that started before the purge and ends within this time finds
   * the marker and does not store its value. A load of a key that was absent at its start stores only if
   * it took less than this (a marker written meanwhile may have expired since). At least `lockTtl`.
   * @default 30
   */
  markerTtl?: number;
  /**
   * Seconds a `safe-` lock lives unless its holder extends it; a crashed holder loses it after this (and up
   * to one second more: memcached counts expiry in whole seconds of its own clock). @default 10
   */
  lockTtl?: number;
  /**
   * First poll delay of a waiter that has no estimate of the load, in ms; it grows by `pollFactor` with
   * jitter. @default 5
   */
  pollMinMs?: number;
  /**
   * Longest poll delay of a waiter, in ms: bounds how late a waiter without an estimate sees a value, and
   * how often a waiter re-reads the lock. @default 40
   */
  pollMaxMs?: number;
  /** Growth factor of the poll delay. @default 1.5 */
  pollFactor?: number;
  /** Own timeout of every memcached call, in ms (memjs alone can leave calls pending forever). @default 250 */
  opTimeoutMs?: number;
  /**
   * How long `close()` waits for calls and background work in flight, in ms. Loads still running then are
   * abandoned: their `ctx.signal` is aborted and their callers reject with `LoadTimeoutError`. @default 10000
   */
  closeTimeoutMs?: number;
  /** Largest serialized value stored, in bytes; larger values are returned but not cached. @default 1047552 */
  maxValueBytes?: number;
  /** How values become bytes (a Buffer value is stored as its own bytes, whatever the serializer). @default jsonSerializer */
  serializer?: Serializer;
  /** Records requested keys and their load cost for warmup (see `src/warmup`). */
  recorder?: AccessRecorder;
  /**
   * An in-process memory tier in front of memcached, off when left out: `{ maxEntries, maxBytes?, ttl? }`.
   * It keeps decoded fresh entries, so a hit there costs no memcached round trip and no deserialization; a
   * miss there goes through memcached as usual (coalesced and locked). `set()` and `delete()` in this
   * process update it at once, but other processes cannot tell it: they may serve the previous value for up
   * to `memory.ttl` seconds (1 by default). `maxEntries` (required) and `maxBytes` (counted as the
   * entries' stored sizes) bound it, least recently used first. Values it returns are shared objects:
   * do not mutate them.
   */
  memory?: MemoryTierOptions;
}

/** The memory tier's options (`CacheOptions.memory`). */
export interface MemoryTierOptions {
  /** Most entries held; the least recently used go first. Required. */
  maxEntries: number;
  /** Most bytes held, counted as each entry's stored (serialized) size. @default no byte bound */
  maxBytes?: number;
  /**
   * Seconds an entry is held at most (never past its freshness): the bound on how stale another process's
   * tier can be after a `set()` or `delete()` here. @default 1
   */
  ttl?: number;
}

export interface ResolvedMemoryTier {
  maxEntries: number;
  maxBytes: number | undefined;
  ttl: number;
}

export interface ResolvedPolicy {
  ttl: number;
  grace: number;
  staleIfError: number;
  beta: number;
  waitTimeoutMs: number;
  onWaitTimeout: WaitTimeoutPolicy;
  loadTimeoutMs: number;
  hardTimeoutMs: number;
  lock: boolean;
  /** The call's tags (`WrapOptions.tags`), deduplicated; empty without. */
  tags: readonly string[];
}

/** Every option resolved; safe mode's own slice is declared by safe mode (`SafeModeSettings`). */
export interface ResolvedCacheOptions extends SafeModeSettings {
  servers: Array<{ address: string; weight: number }>;
  protocol: Protocol;
  tls: boolean | ConnectionOptions | undefined;
  username: string | undefined;
  password: string | undefined;
  store: Store | undefined;
  namespace: string;
  gutterServers: Array<{ address: string; weight: number }>;
  lockTtl: number;
  markerTtl: number;
  pollMinMs: number;
  pollMaxMs: number;
  pollFactor: number;
  opTimeoutMs: number;
  closeTimeoutMs: number;
  maxValueBytes: number;
  serializer: Serializer;
  recorder: AccessRecorder | undefined;
  /** Undefined when the memory tier is off. */
  memory: ResolvedMemoryTier | undefined;
  policy: ResolvedPolicy;
}

/** The wire protocol of a memcached pool (see `CacheOptions.protocol`). */
export type Protocol = 'meta' | 'binary';

/** `tls` needs the meta client (memjs has none); SASL needs memjs (the meta client has none). */
function checkProtocol(
  protocol: unknown,
  tls: unknown,
  username: string | undefined,
  password: string | undefined,
): void {
  oneOf('protocol', protocol, ['meta', 'binary']);
  if (tls !== undefined && typeof tls !== 'boolean' && (typeof tls !== 'object' || tls === null)) {
    throw new InvalidOptionError('tls', 'true, false, or tls.connect options', tls);
  }
  if (protocol === 'binary' && tls !== undefined && tls !== false) {
    throw new InvalidOptionError(
      'tls',
      "left out with protocol 'binary' (memjs has no TLS): use protocol 'meta'",
      tls,
    );
  }
  if (protocol === 'meta' && (username !== undefined || password !== undefined)) {
    const option = username !== undefined ? 'username' : 'password';
    throw new InvalidOptionError(option, "left out with protocol 'meta' (SASL is binary-only)", '(set)');
  }
}

const POLICY_KEYS = [
  'ttl',
  'grace',
  'staleIfError',
  'beta',
  'waitTimeoutMs',
  'onWaitTimeout',
  'loadTimeoutMs',
  'hardTimeoutMs',
] as const;
const CACHE_KEYS = new Set<string>([
  ...POLICY_KEYS,
  'servers',
  'protocol',
  'tls',
  'username',
  'password',
  'store',
  'namespace',
  'safeMode',
  'probeIntervalMs',
  'probeTimeoutMs',
  'downAfter',
  'settleMs',
  'maxConcurrentLoads',
  'failover',
  'failoverTtl',
  'gutterServers',
  'replicas',
  'warmReturnMs',
  'maxAwayKeys',
  'lockTtl',
  'markerTtl',
  'pollMinMs',
  'pollMaxMs',
  'pollFactor',
  'opTimeoutMs',
  'closeTimeoutMs',
  'maxValueBytes',
  'serializer',
  'recorder',
  'memory',
]);
const MEMORY_KEYS = new Set<string>(['maxEntries', 'maxBytes', 'ttl']);
const WRAP_KEYS = new Set<string>([...POLICY_KEYS, 'lock', 'replay', 'tags']);
const DEFAULT_SERVER = '127.0.0.1:11211';

/** Validates `createCache()` options and fills in defaults. Throws `InvalidOptionError` (a TypeError). */
export function resolveCacheOptions(input: CacheOptions = {}, env = process.env): ResolvedCacheOptions {
  checkObject('options', input, CACHE_KEYS, '');
  const o = { ...input };

  o.namespace ??= '';
  o.safeMode ??= 'auto';
  o.probeIntervalMs ??= 1000;
  o.probeTimeoutMs ??= 250;
  o.downAfter ??= 2;
  o.settleMs ??= 10_000;
  o.maxConcurrentLoads ??= 8;
  o.failover ??= 'rehash';
  o.failoverTtl ??= 30;
  o.replicas ??= 1;
  o.warmReturnMs ??= 30_000;
  o.maxAwayKeys ??= 100_000;
  o.lockTtl ??= 10;
  o.markerTtl ??= 30;
  o.pollMinMs ??= 5;
  o.pollMaxMs ??= 40;
  o.pollFactor ??= 1.5;
  o.opTimeoutMs ??= 250;
  o.closeTimeoutMs ??= 10_000;
  o.maxValueBytes ??= 1024 * 1024 - 1024;
  o.serializer ??= jsonSerializer;

  // `:` ends the namespace in a key, `safe-` starts lock keys and `tag-` tag keys: each would let keys meet.
  if (!isValidNamespace(o.namespace)) {
    throw new InvalidOptionError(
      'namespace',
      'at most 64 printable ASCII characters without spaces or `:`, not starting with `safe-` or `tag-`',
      o.namespace,
    );
  }
  oneOf('safeMode', o.safeMode, ['auto', 'always', 'off']);
  number('probeIntervalMs', o.probeIntervalMs, 10, 3_600_000);
  number('probeTimeoutMs', o.probeTimeoutMs, 1, 60_000);
  integer('downAfter', o.downAfter, 1, 100);
  number('settleMs', o.settleMs, 0, 24 * 3_600_000);
  integer('maxConcurrentLoads', o.maxConcurrentLoads, 1, 100_000);
  oneOf('failover', o.failover, ['rehash', 'gutter', 'none']);
  integer('failoverTtl', o.failoverTtl, 1, 30 * 24 * 3600);
  // A lock written to a failover node lives at most failoverTtl; the heartbeat renews it every lockTtl / 2.
  if (o.failoverTtl * 2 <= o.lockTtl) {
    throw new InvalidOptionError('failoverTtl', `more than half of lockTtl (${o.lockTtl})`, o.failoverTtl);
  }
  integer('replicas', o.replicas, 1, 3);
  if (o.replicas > 1 && o.safeMode === 'off') {
    throw new InvalidOptionError(
      'replicas',
      "1 with safeMode 'off' (replicas route by the monitor's health)",
      o.replicas,
    );
  }
  number('warmReturnMs', o.warmReturnMs, 0, 24 * 3_600_000);
  integer('maxAwayKeys', o.maxAwayKeys, 0, 100_000_000);
  if (o.failover === 'gutter' && o.gutterServers === undefined) {
    throw new InvalidOptionError('gutterServers', "given when failover is 'gutter'", o.gutterServers);
  }
  integer('lockTtl', o.lockTtl, 1, 30 * 24 * 3600);
  // A marker must outlive every lock: a load holding one began before the purge that wrote the marker.
  number('markerTtl', o.markerTtl, o.lockTtl, 30 * 24 * 3600);
  number('pollMinMs', o.pollMinMs, 1);
  number('pollMaxMs', o.pollMaxMs, o.pollMinMs);
  number('pollFactor', o.pollFactor, 1, 10);
  number('opTimeoutMs', o.opTimeoutMs, 1, 60_000);
  number('closeTimeoutMs', o.closeTimeoutMs, 0, 24 * 3_600_000);
  integer('maxValueBytes', o.maxValueBytes, 1);
  if (typeof o.serializer?.serialize !== 'function' || typeof o.serializer.deserialize !== 'function') {
    throw new InvalidOptionError('serializer', 'an object with serialize() and deserialize()', o.serializer);
  }
  if (o.store !== undefined && !isStore(o.store)) {
    throw new InvalidOptionError(
      'store',
      'a Store (get, set, add, delete, touch, getWithCas, addWithCas, setIfCas, deleteIfCas, close)',
      o.store,
    );
  }
  if (
    o.recorder !== undefined &&
    (typeof o.recorder?.recordRequest !== 'function' || typeof o.recorder.recordCost !== 'function')
  ) {
    throw new InvalidOptionError('recorder', 'an object with recordRequest() and recordCost()', o.recorder);
  }
  if (o.store !== undefined && o.servers !== undefined) {
    throw new InvalidOptionError('servers', 'left out when `store` is given', o.servers);
  }
  optionalString('username', o.username);
  optionalString('password', o.password);
  const servers = o.store ? [] : resolveServers(o.servers, env, 'servers');
  o.protocol ??= 'binary';
  checkProtocol(o.protocol, o.tls, o.username, o.password);
  if (o.protocol === 'meta' && servers.some((s) => s.address.includes('@'))) {
    throw new InvalidOptionError(
      'servers',
      "no 'user:pass@' with protocol 'meta' (SASL is binary-only)",
      '(set)',
    );
  }

  const policy = resolvePolicy(o, DEFAULT_POLICY, '');
  return {
    servers,
    protocol: o.protocol,
    tls: o.tls,
    username: o.username,
    password: o.password,
    store: o.store,
    namespace: o.namespace,
    safeMode: o.safeMode,
    probeIntervalMs: o.probeIntervalMs,
    probeTimeoutMs: o.probeTimeoutMs,
    downAfter: o.downAfter,
    settleMs: o.settleMs,
    maxConcurrentLoads: o.maxConcurrentLoads,
    failover: o.failover,
    failoverTtl: o.failoverTtl,
    gutterServers: o.gutterServers === undefined ? [] : resolveServers(o.gutterServers, {}, 'gutterServers'),
    replicas: o.replicas,
    warmReturnMs: o.warmReturnMs,
    maxAwayKeys: o.maxAwayKeys,
    lockTtl: o.lockTtl,
    markerTtl: o.markerTtl,
    pollMinMs: o.pollMinMs,
    pollMaxMs: o.pollMaxMs,
    pollFactor: o.pollFactor,
    opTimeoutMs: o.opTimeoutMs,
    closeTimeoutMs: o.closeTimeoutMs,
    maxValueBytes: o.maxValueBytes,
    serializer: o.serializer,
    recorder: o.recorder,
    memory: o.memory === undefined ? undefined : resolveMemoryTier(o.memory),
    policy,
  };
}

function resolveMemoryTier(input: MemoryTierOptions): ResolvedMemoryTier {
  checkObject('memory', input, MEMORY_KEYS, 'memory.');
  const ttl = input.ttl ?? 1;
  integer('memory.maxEntries', input.maxEntries, 1, 100_000_000);
  if (input.maxBytes !== undefined) integer('memory.maxBytes', input.maxBytes, 1);
  number('memory.ttl', ttl, 0.001, 24 * 3600);
  return { maxEntries: input.maxEntries, maxBytes: input.maxBytes, ttl };
}

const DEFAULT_POLICY: ResolvedPolicy = {
  ttl: 60,
  grace: 0,
  staleIfError: 0,
  beta: 0,
  waitTimeoutMs: 10_000,
  onWaitTimeout: 'load',
  loadTimeoutMs: 0,
  hardTimeoutMs: 0,
  lock: false,
  tags: Object.freeze([]),
};

/** Validates per-call options over the cache's resolved policy. `where` prefixes option names in errors. */
export function resolveWrapOptions(
  input: WrapOptions | undefined,
  base: ResolvedPolicy,
  where: string,
): ResolvedPolicy {
  if (input === undefined) return base;
  checkObject('options', input, WRAP_KEYS, where);
  const policy = resolvePolicy(input, base, where);
  if (input.lock !== undefined && typeof input.lock !== 'boolean') {
    throw new InvalidOptionError(`${where}lock`, 'a boolean', input.lock);
  }
  policy.lock = input.lock ?? base.lock;
  if (input.replay !== undefined) checkReplay(`${where}replay`, input.replay);
  if (input.tags !== undefined) {
    checkTags(`${where}tags`, input.tags);
    policy.tags = distinct(input.tags);
  }
  return policy;
}

/** A copy without repeats, in order (the usual one or two tags without building a Set: this runs per call). */
function distinct(tags: readonly string[]): string[] {
  if (tags.length < 2 || (tags.length === 2 && tags[0] !== tags[1])) return tags.slice();
  return [...new Set(tags)];
}

// With the u flag a surrogate pair is one code point: what still matches is a lone surrogate.
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Most tags one entry carries (each costs a get on every hit). */
export const MAX_TAGS = 64;

/** Tags: an array of at most 64 non-empty, well-formed strings (stored as UTF-8 in the entry). */
export function checkTags(name: string, tags: unknown): asserts tags is readonly string[] {
  const ok =
    Array.isArray(tags) &&
    tags.length <= MAX_TAGS &&
    tags.every((t) => typeof t === 'string' && t.length > 0 && t.length <= 1000 && !LONE_SURROGATE.test(t));
  if (!ok) throw new InvalidOptionError(name, `an array of at most ${MAX_TAGS} non-empty strings`, tags);
}

/** A `Replay`: `{ kind: 'loader', name, args }` or `{ kind: 'url', url }`. */
function checkReplay(name: string, value: unknown): void {
  const r = value as Partial<{ kind: string; name: unknown; args: unknown; url: unknown }>;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    ((r.kind === 'loader' && typeof r.name === 'string' && Array.isArray(r.args)) ||
      (r.kind === 'url' && typeof r.url === 'string'));
  if (!ok) {
    throw new InvalidOptionError(name, "{ kind: 'loader', name, args } or { kind: 'url', url }", value);
  }
}

const SET_KEYS = new Set<string>(['ttl', 'tags']);

/** Validates `set()` options (`ttl`, `tags`) over the cache's resolved policy. */
export function resolveSetOptions(
  input: { ttl?: number; tags?: readonly string[] } | undefined,
  base: ResolvedPolicy,
): ResolvedPolicy {
  if (input === undefined) return base;
  checkObject('options', input, SET_KEYS, 'set().');
  const policy = resolvePolicy({ ttl: input.ttl }, base, 'set().');
  if (input.tags !== undefined) {
    checkTags('set().tags', input.tags);
    policy.tags = [...new Set(input.tags)];
  }
  return policy;
}

/**
 * Longest `ttl` (and `grace`, `staleIfError`, `ctx.setTtl()`) in seconds: 365 days. Memcached reads TTLs
 * over 30 days as Unix times (the store converts), which must stay within its 32-bit expiry field.
 */
export const MAX_TTL_SECONDS = 365 * 24 * 3600;

/** Validates a freshness TTL in seconds, as the `ttl` option and `ctx.setTtl()` take it. */
export function checkTtl(name: string, value: unknown): asserts value is number {
  number(name, value, 0.001, MAX_TTL_SECONDS);
}

/** Longest wait or load timeout, in ms: a day. */
const MAX_WAIT_MS = 24 * 3600 * 1000;

function resolvePolicy(input: PolicyOptions, base: ResolvedPolicy, where: string): ResolvedPolicy {
  const p: ResolvedPolicy = {
    ttl: input.ttl ?? base.ttl,
    grace: input.grace ?? base.grace,
    staleIfError: input.staleIfError ?? base.staleIfError,
    beta: input.beta ?? base.beta,
    waitTimeoutMs: input.waitTimeoutMs ?? base.waitTimeoutMs,
    onWaitTimeout: input.onWaitTimeout ?? base.onWaitTimeout,
    loadTimeoutMs: input.loadTimeoutMs ?? base.loadTimeoutMs,
    hardTimeoutMs: input.hardTimeoutMs ?? base.hardTimeoutMs,
    lock: base.lock,
    tags: base.tags,
  };
  // The base is a resolved policy, checked when it was made: only what the input sets needs a check (a
  // middleware resolves its options on every request).
  // Memcached counts expiry in whole seconds; over 30 days it reads a TTL as a Unix time (the store converts).
  if (input.ttl !== undefined) checkTtl(`${where}ttl`, p.ttl);
  if (input.grace !== undefined) number(`${where}grace`, p.grace, 0, MAX_TTL_SECONDS);
  if (input.staleIfError !== undefined) number(`${where}staleIfError`, p.staleIfError, 0, MAX_TTL_SECONDS);
  if (input.beta !== undefined) number(`${where}beta`, p.beta, 0, 100);
  if (input.waitTimeoutMs !== undefined) number(`${where}waitTimeoutMs`, p.waitTimeoutMs, 0, MAX_WAIT_MS);
  if (input.onWaitTimeout !== undefined)
    oneOf(`${where}onWaitTimeout`, p.onWaitTimeout, ['load', 'stale', 'throw']);
  if (input.loadTimeoutMs !== undefined) number(`${where}loadTimeoutMs`, p.loadTimeoutMs, 0, MAX_WAIT_MS);
  if (input.hardTimeoutMs !== undefined) number(`${where}hardTimeoutMs`, p.hardTimeoutMs, 0, MAX_WAIT_MS);
  return p;
}

function resolveServers(
  servers: CacheOptions['servers'],
  env: NodeJS.ProcessEnv,
  name: string,
): Array<{ address: string; weight: number }> {
  const fromEnv = env.MEMCACHED_SERVERS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const list = servers === undefined ? (fromEnv?.length ? fromEnv : [DEFAULT_SERVER]) : servers;
  const specs = Array.isArray(list) ? list : [list];
  if (specs.length === 0) throw new InvalidOptionError(name, 'at least one server', list);
  const seen = new Set<string>();
  return specs.map((spec, i) => {
    const address = typeof spec === 'string' ? spec : spec?.address;
    const weight = typeof spec === 'string' ? 1 : (spec?.weight ?? 1);
    const port = typeof address === 'string' ? /:(\d{1,5})$/.exec(address)?.[1] : undefined;
    if (
      typeof address !== 'string' ||
      !/^(?:[^@\s]+@)?[^\s:@]+(?::\d{1,5})?$/.test(address) ||
      (port !== undefined && (Number(port) < 1 || Number(port) > 65_535))
    ) {
      throw new InvalidOptionError(`${name}[${i}]`, "'host:port' or { address: 'host:port', weight }", spec);
    }
    number(`${name}[${i}].weight`, weight, 0.001, 1e6);
    if (seen.has(address)) throw new InvalidOptionError(`${name}[${i}]`, 'listed once', address);
    seen.add(address);
    return { address, weight };
  });
}

/** What a `store` option must have: the Store interface's methods. */
export const STORE_METHODS = [
  'get',
  'set',
  'add',
  'delete',
  'touch',
  'getWithCas',
  'addWithCas',
  'setIfCas',
  'deleteIfCas',
  'close',
] as const;

function isStore(value: unknown): value is Store {
  if (typeof value !== 'object' || value === null) return false;
  return STORE_METHODS.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
}
