/**
 * The module `cache-warmup --module` loads: `cache` (same servers and namespace as the application) and
 * `loaders` (the plain functions by their cached() names, with the same options). Warmup wraps each with
 * `cache.cached(name, fn, { ...options, lock: true })`, so it builds the application's keys and always
 * takes the safe- locks, whatever this cache's safe mode.
 *
 *   MEMCACHED_SERVERS=10.0.0.1:11211,10.0.0.2:11211 \
 *     npx cache-warmup --module ./warm-loaders.js --hotlist /var/lib/shop/hotlist/
 */
import { createCache } from 'stampede-guard';
import { loaders } from './catalog.js';

export const cache = createCache({ namespace: 'shop' }); // servers from MEMCACHED_SERVERS
export { loaders };
