/**
 * Wrapping a data-access function: `npm run example:basic`.
 * 100 concurrent requests for the same user hit a cold cache; the slow query runs once.
 */
import { type CacheStats, createCache } from 'stampede-guard';
import { withMemcached } from '../lib/memcached.js';

let queries = 0;
/** The expensive part: a slow database query. */
async function loadUserFromDb(id: string): Promise<{ id: string; name: string }> {
  queries++;
  await new Promise((resolve) => setTimeout(resolve, 150));
  return { id, name: `User ${id}` };
}

const databaseQueries = (n: number) => (n === 1 ? '1 database query' : `${n} database queries`);

/** What the cache did for one call, from its counters before and after. */
function whatHappened(before: CacheStats, after: CacheStats): string {
  if (after.hits > before.hits) return `a hit, still ${databaseQueries(queries)}`;
  if (after.staleHits > before.staleHits) return `a stale hit, still ${databaseQueries(queries)}`;
  return `a miss, loaded again: ${databaseQueries(queries)}`;
}

await withMemcached(2, async (servers) => {
  const cache = createCache({ servers, namespace: 'example', ttl: 300, grace: 60, safeMode: 'always' });
  const getUser = cache.cached('user', loadUserFromDb);

  const users = await Promise.all(Array.from({ length: 100 }, () => getUser('42')));
  console.log(`100 concurrent getUser('42') calls -> ${databaseQueries(queries)}; got ${users[0]?.name}`);

  const before = cache.stats();
  await getUser('42');
  const stats = cache.stats();
  console.log(`one more call -> ${whatHappened(before, stats)}`);
  const { hits, misses, loads, coalesced, storeErrors } = stats;
  console.log(
    `stats: hits ${hits}, misses ${misses}, loads ${loads}, coalesced ${coalesced}, store errors ${storeErrors}`,
  );
  if (storeErrors > 0) {
    console.log(
      `memcached (${servers.join(', ')}) was unreachable (store errors: ${storeErrors}): every value came from the loader`,
    );
  }
  await cache.close();
});
