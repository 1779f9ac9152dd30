/**
 * The application's data access, defined once and shared by the web app (app.ts) and the warmup module
 * (warm-loaders.ts), so both build the same cache keys with the same options. The "database" is
 * simulated: each query sleeps for what it would cost and is counted.
 */
import type { WarmLoader } from 'stampede-guard';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Queries the simulated database ran in this process. */
export const database = { queries: 0 };

/** name → loader and the options the app passes to `cache.cached(name, fn, options)`. */
export const loaders = {
  // A product page: 10 to 55 ms depending on the product (some have big catalogs of variants).
  product: {
    fn: async (id: number) => {
      database.queries++;
      await sleep(10 + (id % 10) * 5);
      return { id, name: `Product ${id}`, price: 10 + id };
    },
    options: { ttl: 3600 },
  },
  // Search results: expensive whatever the query.
  search: {
    fn: async (query: { page: number; term: string }) => {
      database.queries++;
      await sleep(150);
      return { query, ids: [1, 2, 3].map((i) => i * query.page) };
    },
    options: { ttl: 300 },
  },
} satisfies Record<string, WarmLoader>;
