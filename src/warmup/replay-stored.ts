/**
 * Was a rendered page stored? The middleware says `X-Cache: MISS` when this request renders the page,
 * before it knows whether the response may be stored (`Cache-Control: private`, a cookie, ...), so a
 * MISS alone would count a page that cannot be cached as warmed. The same request, sent again, says
 * what was kept: HIT, STALE or WAIT (the render was stored: warmed), BYPASS (a "not cacheable" marker)
 * or MISS again (nothing stored: it rendered anew). The second request goes through the same lock as
 * the first, so it cannot overtake the store of the render it checks; for a stored page it is a hit,
 * answered from memcached without a render. Needs no help from the middleware.
 */
import type { Outcome } from './replay-loader.js';

/**
 * The outcome of `fetch(force)` (one request through the application), confirmed with a second request
 * when the first rendered. A failed confirmation leaves the first answer standing.
 */
export async function storedOutcome(
  fetch: (force: boolean) => Promise<Outcome>,
  force: boolean,
): Promise<Outcome> {
  const first = await fetch(force);
  if (first !== 'warmed') return first;
  let again: Outcome;
  try {
    again = await fetch(false);
  } catch {
    return first;
  }
  return again === 'skipped' ? 'warmed' : 'uncacheable';
}
