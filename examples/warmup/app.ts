/**
 * The application side: serve through cached functions while a HotKeyRecorder counts requests and load
 * costs and writes the hotlist (one file per process, every 30 s and on close).
 */
import { createCache, HotKeyRecorder } from 'stampede-guard';
import { loaders } from './catalog.js';

export function createShop(hotlistDir: string) {
  const recorder = new HotKeyRecorder({ hotlistFile: `${hotlistDir}/{host}-{pid}.json` });
  const cache = createCache({ namespace: 'shop', recorder }); // servers from MEMCACHED_SERVERS
  return {
    product: cache.cached('product', loaders.product.fn, loaders.product.options),
    search: cache.cached('search', loaders.search.fn, loaders.search.options),
    cache,
    /** Closes the cache, then writes the hotlist a last time. */
    async close() {
      await cache.close();
      await recorder.close();
    },
  };
}
