/**
 * Replaying a URL entry: a GET through the application, whose caching middleware does the locked render.
 * The response's `X-Cache` says what happened: cached already (HIT, STALE) or rendered by someone else
 * while this request waited (WAIT): skipped; served without the cache (BYPASS): uncacheable, nothing was
 * stored (not retried: the application chose not to cache it); anything else (MISS): warmed.
 */
import http from 'node:http';
import https from 'node:https';
import { AbortError } from 'p-retry';
import { StampedeGuardError } from '../errors.js';
import { AttemptTimeoutError, type Outcome } from './replay-loader.js';

/** A response status that means the page was not warmed. */
export class HttpStatusError extends StampedeGuardError<'E_WARMUP_STATUS'> {
  constructor(readonly status: number) {
    super('E_WARMUP_STATUS', `HTTP ${status}`);
  }
}

/**
 * What to fetch for a recorded URL. The request always goes to the base URL's origin (a hotlist must not be
 * able to send the crawler to another host); a URL recorded with its scheme and host (what the middleware
 * records: `https://shop.example/list?a=1`) is sent with that `Host`, and with `X-Forwarded-Proto` when its
 * scheme is not the base URL's, so the app sees the request as live traffic did and caches it under the key
 * live traffic uses. A path (older hotlists, `--urls`) is fetched as it is, with the base URL's host.
 */
export interface UrlTarget {
  url: URL;
  /** What the request stands for: the recorded absolute URL, or the URL fetched. */
  label: string;
  headers: Record<string, string>;
}

/** Scheme, host (as recorded: not lower-cased, port kept) and path of a recorded absolute URL. */
const ABSOLUTE = /^(https?):\/\/([^/?#@\\\s]+)(\/.*)$/;

/** The request for a recorded URL, or why there is none. */
export function urlTarget(recorded: string, baseUrl: URL): UrlTarget | string {
  const absolute = ABSOLUTE.exec(recorded);
  const path = absolute ? (absolute[3] as string) : recorded;
  if (!path.startsWith('/') || path.startsWith('//')) return 'url is neither a path nor an http(s) URL';
  const url = URL.canParse(path, baseUrl.href) ? new URL(path, baseUrl) : undefined;
  if (url?.origin !== baseUrl.origin) return 'url is neither a path nor an http(s) URL';
  if (!absolute) return { url, label: url.href, headers: {} };
  const [, scheme, host] = absolute as unknown as [string, string, string];
  const headers: Record<string, string> = { host };
  if (`${scheme}:` !== baseUrl.protocol) headers['x-forwarded-proto'] = scheme;
  return { url, label: recorded, headers };
}

/** One attempt. Retryable failures throw; a client error (4xx but 408/429) stops the retries. */
export async function fetchUrl(target: UrlTarget, timeoutMs: number, force: boolean): Promise<Outcome> {
  // node:http, not fetch(): fetch sends its own Host whatever the headers say.
  const { status, cacheStatus } = await get(target, timeoutMs);
  if (status >= 500 || status === 408 || status === 429) throw new HttpStatusError(status);
  if (status >= 400) throw new AbortError(new HttpStatusError(status));
  // Not stored: an uncacheable page (or, if every page says so, requests bypassing, e.g. with a custom
  // key and a proxy adding X-Forwarded-Host: the CLI reports that run as failed).
  if (cacheStatus === 'BYPASS') return 'uncacheable';
  return !force && (cacheStatus === 'HIT' || cacheStatus === 'STALE' || cacheStatus === 'WAIT')
    ? 'skipped'
    : 'warmed';
}

/**
 * A GET whose whole body is read (the render finished and was stored). Redirects are not followed: a
 * redirect is the page's answer, and what the middleware caches.
 */
function get(target: UrlTarget, timeoutMs: number): Promise<{ status: number; cacheStatus?: string }> {
  const { request } = target.url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = request(target.url, {
      headers: { 'user-agent': 'stampede-guard cache-warmup', ...target.headers },
    });
    const timer = setTimeout(() => {
      reject(new AttemptTimeoutError(timeoutMs));
      req.destroy();
    }, timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on('response', (res) => {
      res.on('error', reject); // the request's 'error' also fires; the first settles
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        const cacheStatus = res.headers['x-cache'];
        resolve({
          status: res.statusCode ?? 0,
          ...(typeof cacheStatus === 'string' ? { cacheStatus: cacheStatus.trim().toUpperCase() } : {}),
        });
      });
    });
    req.end();
  });
}
