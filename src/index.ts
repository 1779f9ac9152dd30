/**
 * The core of stampede-guard: `createCache()`, the `Cache` it returns, options, events, errors, stores, and
 * the warmup API. The Prometheus exporter is a separate entry point, `stampede-guard/prometheus`.
 * @module stampede-guard
 */
export { Cache, type CachedOptions, createCache, type SetOptions } from './cache.js';
export {
  CacheClosedError,
  type ErrorCode,
  InvalidOptionError,
  NodeDownError,
  SerializationError,
  StampedeGuardError,
  StoreError,
  StoreOutOfMemoryError,
  StoreTimeoutError,
  ValueTooLargeError,
  WaitTimeoutError,
} from './errors.js';
export type { CacheEventName, CacheEvents, CacheStats } from './events.js';
export * from './express/index.js';
export type { Loader, LoaderContext } from './loader-context.js';
export type {
  CacheOptions,
  PolicyOptions,
  Protocol,
  SafeModeSetting,
  ServerSpec,
  WaitTimeoutPolicy,
  WrapOptions,
} from './options.js';
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
export type { Store, StoreCallOptions } from './store/store.js';
export * from './warmup/index.js';
