/**
 * The core of stampede-guard: `createCache()`, the `Cache` it returns, options, events, errors, stores, and
 * the warmup API. Adapters are separate entry points: `stampede-guard/express` (the response cache
 * middleware) and `stampede-guard/prometheus`; importing this one needs neither Express nor its types.
 * @module stampede-guard
 */

import type { CoreErrorCode } from './errors.js';
import type { HttpErrorCode } from './http/errors.js';
import type { WarmupErrorCode } from './warmup/errors.js';

export { Cache, type CachedOptions, createCache, type SetOptions } from './cache.js';
export {
  CacheClosedError,
  type CoreErrorCode,
  InvalidOptionError,
  LoadTimeoutError,
  MovedError,
  NodeDownError,
  RecursiveLoadError,
  SerializationError,
  StampedeGuardError,
  StoreError,
  type StoreErrorCode,
  StoreOutOfMemoryError,
  StoreTimeoutError,
  ValueTooLargeError,
  WaitTimeoutError,
} from './errors.js';
export type { CacheEventName, CacheEvents, CacheStats, HitTier } from './events.js';
export type { HttpErrorCode } from './http/errors.js';
export type { Loader, LoaderContext } from './loader-context.js';
export type {
  CacheOptions,
  MemoryTierOptions,
  PolicyOptions,
  Protocol,
  ResolvedPolicy,
  SafeModeSetting,
  ServerSpec,
  WaitTimeoutPolicy,
  WrapOptions,
} from './options.js';
export type { Answer, AnswerSource } from './read-through/answer.js';
export type { AccessRecorder, Replay } from './recorder.js';
export type { SafeModeStatus } from './safe-mode/controller.js';
export type { NodeHealthSnapshot } from './safe-mode/node-health.js';
export type { FailoverMode } from './safe-mode/settings.js';
export { jsonSerializer, type Serializer, v8Serializer } from './serializer.js';
export { MemcachedStore, type MemcachedStoreOptions } from './store/memjs/memcached-store.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export { MetaStore, type MetaStoreOptions } from './store/meta/meta-store.js';
export type {
  FailureKind,
  NodeIdentity,
  NodePool,
  OutcomeListener,
  Placement,
  PlacementPolicy,
  PoolNode,
  PoolRouting,
} from './store/node-pool.js';
export type {
  CasDeleteOutcome,
  CasMismatch,
  CasToken,
  CasValue,
  Store,
  StoreCallOptions,
} from './store/store.js';
export type { WarmupErrorCode } from './warmup/errors.js';
export * from './warmup/index.js';

/** Every code a stampede-guard error carries: the core's, warmup's and the HTTP layer's (docs/errors.md). */
export type ErrorCode = CoreErrorCode | WarmupErrorCode | HttpErrorCode;
