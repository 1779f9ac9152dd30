/**
 * Options of the HTTP response cache (the Express adapter's `cacheMiddleware()`, and any other adapter),
 * their defaults and validation. The read-through options (`ttl`, `grace`, `lock`, `waitTimeoutMs`, ...)
 * are `wrap()`'s, over the cache's. `Req` is the adapter's request type, which the `key` function gets.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidOptionError } from '../errors.js';
import type { Cache, ResolvedPolicy, WrapOptions } from '../index.js';
import { checkObject, integer, number, oneOf } from '../validation.js';

/** What a response that sets cookies becomes: not stored (`'pass'`), or stored without its `Set-Cookie`. */
export type SetCookiePolicy = 'pass' | 'strip';

export interface ResponseCacheOptions<Req extends IncomingMessage = IncomingMessage>
  extends Omit<WrapOptions, 'replay' | 'tags'> {
  /**
   * Take the `safe-` lock on a miss, so a page renders once cluster-wide while the other requests wait
   * (what nginx's `proxy_cache_lock` does). Pages are expensive; unlike `wrap()`, this is on by default.
   * @default true
   */
  lock?: boolean;
  /**
   * The cache key of a request (stored as `http:<key>`, then the `vary` headers), or `false` to serve it
   * without the cache. What it returns is the key: it then owns the host and the scheme too, so include
   * them (`req.protocol`, `req.host`) when the app renders from them, and everything else the response
   * depends on (a user's role, ...). Returning false for unknown hosts pins the hosts served.
   * @default `<req.protocol>://<req.host><path>?<canonical query>`, e.g. `https://shop.example/list?a=1&b=2`:
   * the scheme and host as the app sees them (with `trust proxy`, from `X-Forwarded-Proto`/`-Host`),
   * the path as sent, the query with its parameters sorted (see docs/express.md, "Keys")
   */
  key?: (req: Req) => string | false;
  /**
   * Request headers whose values are part of the key, as sent (case and inner whitespace kept; only
   * `accept-encoding`'s codings, case-insensitive by spec, are lower-cased). A response sent with `Vary`
   * on a header not listed here is not stored, wherever the `Vary` was set (an i18n or CORS middleware in
   * front included). With `compression()` *behind* the middleware, list `'accept-encoding'`; in front of
   * it (recommended) nothing is needed.
   * @default []
   */
  vary?: string[];
  /** Response statuses that are stored; 5xx never are. @default [200, 203, 204, 301, 404, 410] */
  statuses?: number[];
  /** Largest body stored, in bytes; larger responses are served in full but not stored. @default 524288 */
  maxBodyBytes?: number;
  /**
   * Take the TTL from the response's `Cache-Control` `s-maxage` (else `max-age`); 0 means not stored, and
   * a value above 365 days (the cache's TTL ceiling) is clamped to 365 days. `private`, `no-store` and
   * `no-cache` are honoured whatever this says. @default false
   */
  respectCacheControl?: boolean;
  /** Serve requests carrying `Authorization` without the cache. @default true */
  bypassAuthorization?: boolean;
  /** Serve requests carrying cookies without the cache (their response may depend on them). @default true */
  bypassCookies?: boolean;
  /**
   * Serve requests carrying `X-Forwarded-Host`, `X-Forwarded-Server`, `X-Host` or a `Forwarded: host=`
   * without the cache. The default key covers `req.host` (which, with `trust proxy`, is the forwarded
   * host), so a forged header only reaches its sender's own entry and the bypass is not needed; a custom
   * `key` may not cover the host, so with one the bypass is on unless turned off.
   * @default false with the default key, true with a custom `key`
   */
  bypassForwardedHost?: boolean;
  /**
   * A response sent with `Set-Cookie`, whoever set it (a session middleware in front included): not
   * stored, or stored and its body shared without the cookies (only for bodies that do not depend on
   * them). @default 'pass'
   */
  setCookie?: SetCookiePolicy;
  /**
   * Seconds a "not cacheable" marker is kept after a response turned out uncacheable (not for 5xx or
   * aborted renders), so requests everywhere render at once instead of queueing on the lock one by one
   * (Varnish's hit-for-pass). `grace` and `staleIfError` do not extend it. 0 disables the marker.
   * @default 5
   */
  passTtl?: number;
  /** Let a request's `Cache-Control: no-cache` / `Pragma: no-cache` bypass the cache. @default false */
  clientBypass?: boolean;
  /**
   * Tags of a rendered page, called as its head goes out (`cache.invalidateTags()` purges every page
   * carrying one), in addition to those of its `Surrogate-Key` response header (space-separated, the CDN
   * convention), which the middleware always reads and never sends to the client. A function that throws
   * leaves the page unstored (with a process warning). A hit on a tagged page is one memcached round
   * trip once the process knows its tags' versions (re-read after an invalidation, in a second one).
   * @default none (the `Surrogate-Key` header only)
   */
  tags?: (req: Req, res: ServerResponse) => readonly string[];
}

export interface ResolvedResponseCacheOptions<Req extends IncomingMessage = IncomingMessage> {
  key: ((req: Req) => string | false) | undefined;
  vary: string[];
  statuses: ReadonlySet<number>;
  maxBodyBytes: number;
  respectCacheControl: boolean;
  bypassAuthorization: boolean;
  bypassCookies: boolean;
  bypassForwardedHost: boolean;
  setCookie: SetCookiePolicy;
  passTtl: number;
  clientBypass: boolean;
  tags: ((req: Req, res: ServerResponse) => readonly string[]) | undefined;
  /** The read-through options as given (with `lock` on by default), for `cache.answer()` and `cache.peek()`. */
  wrap: WrapOptions;
  /** The effective read-through policy (the cache's, overridden by the given options). */
  policy: Readonly<ResolvedPolicy>;
}

const WHERE = 'middleware().';
const OWN_KEYS = new Set([
  'key',
  'vary',
  'statuses',
  'maxBodyBytes',
  'respectCacheControl',
  'bypassAuthorization',
  'bypassCookies',
  'bypassForwardedHost',
  'setCookie',
  'passTtl',
  'clientBypass',
  'tags',
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

const POLICY_KEYS = ['ttl', 'grace', 'staleIfError', 'beta', 'waitTimeoutMs', 'onWaitTimeout', 'lock'];
const KNOWN = new Set([...OWN_KEYS, ...POLICY_KEYS]);
const BOOLEANS = [
  'respectCacheControl',
  'bypassAuthorization',
  'bypassCookies',
  'bypassForwardedHost',
  'clientBypass',
] as const;

/** Validates the options over `cache`'s policy. Throws `InvalidOptionError` (a TypeError) naming `middleware().x`. */
export function resolveResponseCacheOptions<Req extends IncomingMessage>(
  input: ResponseCacheOptions<Req> | undefined,
  cache: Pick<Cache, 'policy'>,
): ResolvedResponseCacheOptions<Req> {
  if (input !== undefined) checkObject('middleware()', input, KNOWN, WHERE);
  const o: ResponseCacheOptions<Req> = { ...input };
  const wrap: WrapOptions = { lock: true };
  for (const [name, value] of Object.entries(o)) {
    if (!OWN_KEYS.has(name)) (wrap as Record<string, unknown>)[name] = value;
  }
  const policy = cache.policy(wrap, WHERE);

  o.vary ??= [];
  o.statuses ??= [200, 203, 204, 301, 404, 410];
  o.maxBodyBytes ??= 512 * 1024;
  o.respectCacheControl ??= false;
  o.bypassAuthorization ??= true;
  o.bypassCookies ??= true;
  o.bypassForwardedHost ??= o.key !== undefined;
  o.setCookie ??= 'pass';
  o.passTtl ??= 5;
  o.clientBypass ??= false;

  if (o.tags !== undefined && typeof o.tags !== 'function') {
    throw new InvalidOptionError(`${WHERE}tags`, 'a function (req, res) returning an array of tags', o.tags);
  }
  if (o.key !== undefined && typeof o.key !== 'function') {
    throw new InvalidOptionError(`${WHERE}key`, 'a function returning a string or false', o.key);
  }
  if (
    !Array.isArray(o.vary) ||
    !o.vary.every(
      (h) => typeof h === 'string' && HEADER_NAME.test(h.toLowerCase()) && h.toLowerCase() !== 'set-cookie',
    )
  ) {
    throw new InvalidOptionError(`${WHERE}vary`, 'an array of request header names', o.vary);
  }
  if (!Array.isArray(o.statuses) || !o.statuses.every((s) => Number.isInteger(s) && s >= 200 && s <= 499)) {
    throw new InvalidOptionError(
      `${WHERE}statuses`,
      'an array of statuses from 200 to 499 (never 5xx)',
      o.statuses,
    );
  }
  integer(`${WHERE}maxBodyBytes`, o.maxBodyBytes, 0);
  for (const name of BOOLEANS) {
    if (typeof o[name] !== 'boolean') throw new InvalidOptionError(`${WHERE}${name}`, 'a boolean', o[name]);
  }
  oneOf(`${WHERE}setCookie`, o.setCookie, ['pass', 'strip']);
  number(`${WHERE}passTtl`, o.passTtl, 0, 3600);

  return {
    key: o.key,
    vary: [...new Set(o.vary.map((h) => h.toLowerCase()))],
    statuses: new Set(o.statuses),
    maxBodyBytes: o.maxBodyBytes,
    respectCacheControl: o.respectCacheControl,
    bypassAuthorization: o.bypassAuthorization,
    bypassCookies: o.bypassCookies,
    bypassForwardedHost: o.bypassForwardedHost,
    setCookie: o.setCookie,
    passTtl: o.passTtl,
    clientBypass: o.clientBypass,
    tags: o.tags,
    wrap,
    policy,
  };
}
