/**
 * Which requests take part in the cache, and under which key. Everything here looks at the request only;
 * what the response allows is decided in `response-policy.ts`.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { InvalidOptionError } from '../errors.js';
import type { ResolvedResponseCacheOptions } from './options.js';
import { defaultKey, type RequestTarget, varySuffix } from './request-key.js';

/** Why a request was served without the cache (the `X-Cache: BYPASS` cases). */
export type BypassReason =
  /** Not GET or HEAD. */
  | 'method'
  | 'authorization'
  | 'cookie'
  | 'forwarded-host'
  /** A `Range` request: partial responses are neither stored nor cut from stored ones. */
  | 'range'
  /** The client's `Cache-Control: no-cache` with `clientBypass`. */
  | 'client'
  /** The `key` option returned false. */
  | 'key'
  /** Not a path (`GET http://other.example/x`, `*`): the default key covers the host the app sees, not that one. */
  | 'target'
  /** A "not cacheable" marker, or the render this request waited for turned out not cacheable. */
  | 'pass'
  /** The render this request waited for failed (5xx, or aborted twice). */
  | 'render-failed'
  /** A HEAD request for a page not cached yet (HEAD never renders for the cache: it has no body). */
  | 'head-miss'
  /** Something else than a response record was stored under the key. */
  | 'corrupt';

export type RequestPlan = { bypass: BypassReason } | { key: string; head: boolean };

/**
 * Requests a cache middleware has handed on, whichever instance. A WeakSet, not a property on the request:
 * adding a property to a request costs about 2 us, and looking one up that most requests lack walks their
 * prototype chain on every hit; a WeakSet answers "no" for a request it never held without a lookup.
 */
const handedOn = new WeakSet<IncomingMessage>();

/**
 * Marks `req` as handed on by a cache middleware (to render it, or bypassing the cache), before it calls
 * `next()`. A request passing a second cache middleware (app-wide and per route, or the same one mounted
 * twice) must not start a second flight: it would join its own, still in flight, and wait for itself.
 * Only a request handed on can reach another middleware, so an answered one (every hit) is never marked.
 */
export function markHandedOn(req: IncomingMessage): void {
  handedOn.add(req);
}

/** Whether a cache middleware handed `req` on: every other one lets it through. */
export function wasHandedOn(req: IncomingMessage): boolean {
  return handedOn.has(req);
}

/** Headers that carry a host a proxy may trust (express's `req.hostname` uses `X-Forwarded-Host`). */
const FORWARDED_HOST = ['x-forwarded-host', 'x-forwarded-server', 'x-host'] as const;

/** The plan for one request, in a fixed order: method, credentials, host headers, range, client, key. */
export function planRequest<Req extends IncomingMessage>(
  req: Req,
  target: RequestTarget,
  o: ResolvedResponseCacheOptions<Req>,
): RequestPlan {
  if (req.method !== 'GET' && req.method !== 'HEAD') return { bypass: 'method' };
  const h = req.headers;
  if (o.bypassAuthorization && h.authorization !== undefined) return { bypass: 'authorization' };
  if (o.bypassCookies && h.cookie !== undefined) return { bypass: 'cookie' };
  if (o.bypassForwardedHost && carriesForwardedHost(h)) return { bypass: 'forwarded-host' };
  if (h.range !== undefined) return { bypass: 'range' };
  if (o.clientBypass && asksNoCache(h)) return { bypass: 'client' };
  const base = o.key ? o.key(req) : defaultKey(target);
  if (base === false) return { bypass: o.key ? 'key' : 'target' };
  if (typeof base !== 'string' || base.length === 0) {
    throw new InvalidOptionError(
      'middleware().key',
      'a function returning a non-empty string or false',
      base,
    );
  }
  return { key: `http:${base}${varySuffix(h, o.vary)}`, head: req.method === 'HEAD' };
}

function carriesForwardedHost(h: IncomingHttpHeaders): boolean {
  if (FORWARDED_HOST.some((name) => h[name] !== undefined)) return true;
  return typeof h.forwarded === 'string' && /(?:^|[;,\s])host=/i.test(h.forwarded);
}

function asksNoCache(h: IncomingHttpHeaders): boolean {
  return (
    /\bno-(?:cache|store)\b/i.test(h['cache-control'] ?? '') || /\bno-cache\b/i.test(String(h.pragma ?? ''))
  );
}

/**
 * The request the cached render sees: without validators and ranges, so the handler renders the full
 * response (a 304 or 206 is this client's answer, not one to share). The renderer itself then gets a
 * full 200, which is always a valid answer to a conditional request.
 */
export function stripConditionals(h: IncomingHttpHeaders): void {
  for (const name of ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range']) {
    delete h[name];
  }
}
