/** The Express part of the public API (re-exported by `src/index.ts`): types only, no runtime import of express. */
export type { CacheMiddleware } from './middleware.js';
export type { ResponseCacheOptions, SetCookiePolicy } from './options.js';
export type { CacheStatus } from './record.js';
export type { BypassReason } from './request-policy.js';
export type { NotStoredReason } from './response-policy.js';
export type { ResponseCacheEvents, ResponseCacheStats } from './stats.js';
