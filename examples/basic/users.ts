/**
 * Wrapping a data-access function: `npm run example:basic`.
 * 100 concurrent requests for the same user hit a cold cache; the slow query runs once.
 */
import { createCache } from '../../src/index.js';
import { withMemcached } from '../lib/memcached.js';

let queries = 0;
/** The expensive part: a slow database query. */
async function loadUserFromDb(id: string): Promise<{ id: string; name: string }> {
  queries++;
  await new Promise((resolve) => setTimeout(resolve, 150));
  return { id, name: `User ${id}` };
}

await withMemcached(2, async (servers) => {
  const cache = createCache({ servers, namespace: 'example', ttl: 300, grace: 60, safeMode: 'always' });
  const getUser = cache.cached('user', loadUserFromDb);

  const users = await Promise.all(Array.from({ length: 100 }, () => getUser('42')));
  console.log(`100 concurrent getUser('42') calls -> ${queries} database query; got ${users[0]?.name}`);

  await getUser('42');
  console.log(`one more call -> still ${queries} query (a hit)`);
  const { hits, misses, loads, coalesced } = cache.stats();
  console.log(`stats: hits ${hits}, misses ${misses}, loads ${loads}, coalesced ${coalesced}`);
  await cache.close();
});
