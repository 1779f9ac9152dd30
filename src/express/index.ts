/**
 * The Express adapter of stampede-guard, `stampede-guard/express`: `cacheMiddleware(cache, options)` caches
 * whole GET/HEAD responses with `wrap()`'s protocol. Needs `express` (5.x) and, for TypeScript, `@types/express`;
 * the root `stampede-guard` needs neither.
 * @module stampede-guard/express
 */
export { RenderFailedError } from '../http/errors.js';
export type { SetCookiePolicy } from '../http/options.js';
export type { PurgeOptions } from '../http/protocol.js';
export type { CacheStatus } from '../http/record.js';
export type { BypassReason } from '../http/request-policy.js';
export type { NotStoredReason } from '../http/response-policy.js';
export type { ResponseCacheEvents, ResponseCacheStats } from '../http/stats.js';
export { type CacheMiddleware, cacheMiddleware, type ResponseCacheOptions } from './middleware.js';
