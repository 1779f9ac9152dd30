/**
 * Replaying a URL entry: a GET through the application, whose caching middleware does the locked render.
 * The response's `X-Cache` says what happened: cached already (HIT, STALE) or rendered by someone else
 * while this request waited (WAIT): skipped; served without the cache (BYPASS): uncacheable, nothing was
 * stored (not retried: the application chose not to cache it); anything else (MISS): warmed.
 */
import { AbortError } from 'p-retry';
import type { Outcome } from './replay-loader.js';

/** A response status that means the page was not warmed. */
export class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
    this.name = 'HttpStatusError';
  }
}

/**
 * The URL to fetch for a recorded path, or why there is none. Only paths on the base URL's origin are
 * replayed: a hotlist must not be able to send the crawler to another host.
 */
export function urlTarget(recorded: string, baseUrl: URL): URL | string {
  if (!recorded.startsWith('/') || recorded.startsWith('//')) return 'url is not an absolute path';
  const url = URL.canParse(recorded, baseUrl.href) ? new URL(recorded, baseUrl) : undefined;
  return url?.origin === baseUrl.origin ? url : 'url is not an absolute path';
}

/** One attempt. Retryable failures throw; a client error (4xx but 408/429) stops the retries. */
export async function fetchUrl(url: URL, timeoutMs: number, force: boolean): Promise<Outcome> {
  const signal = AbortSignal.timeout(timeoutMs);
  const response = await fetch(url, {
    signal,
    redirect: 'manual', // a redirect is the page's answer (and what the middleware caches)
    headers: { 'user-agent': 'stampede-guard cache-warmup' },
  });
  await response.arrayBuffer(); // the whole body: the render finished and was stored
  const { status } = response;
  if (status >= 500 || status === 408 || status === 429) throw new HttpStatusError(status);
  if (status >= 400) throw new AbortError(new HttpStatusError(status));
  const cacheStatus = response.headers.get('x-cache')?.trim().toUpperCase();
  // Not stored: an uncacheable page (or, if every page says so, requests bypassing, e.g. behind a proxy
  // adding X-Forwarded-Host: the CLI reports that run as failed).
  if (cacheStatus === 'BYPASS') return 'uncacheable';
  return !force && (cacheStatus === 'HIT' || cacheStatus === 'STALE' || cacheStatus === 'WAIT')
    ? 'skipped'
    : 'warmed';
}
