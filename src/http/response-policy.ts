/**
 * Whether a rendered response may be stored and shared, and which of its headers are stored. Two heads
 * are looked at (see `capture.ts`):
 *
 * - the head as finally sent, which the decision is taken on: middleware in front adds headers only when
 *   the head is written (express-session's cookie, compression's `Vary`), and whatever reaches the client
 *   counts, whoever set it;
 * - the head the handlers behind the middleware produced, which is what is stored, less what was already
 *   on the response when the middleware ran (CORS, security headers of middleware in front): both belong
 *   to each request, whose own pass through the stack sets them again on a replay.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { ResolvedResponseCacheOptions } from './options.js';

/** Why a response was not stored. */
export type NotStoredReason =
  /** 5xx: never stored; its waiters render themselves (or get a stale copy with `staleIfError`). */
  | 'server-error'
  /** A status not in `statuses`. */
  | 'status'
  | 'private'
  | 'no-store'
  | 'no-cache'
  | 'set-cookie'
  /** `Vary: *`, or on a request header not in the `vary` option. */
  | 'vary'
  /** `max-age=0` / `s-maxage=0` with `respectCacheControl`. */
  | 'max-age'
  /** Larger than `maxBodyBytes`. */
  | 'too-large'
  /** The response was closed before it ended (client gone, stream destroyed). */
  | 'aborted';

export type HeaderValue = string | string[];
export type StoredHeaders = Array<[name: string, value: HeaderValue]>;

/** A response head: its status and headers. */
export interface Head {
  status: number;
  headers: OutgoingHttpHeaders;
}

/**
 * The longest TTL a response's `s-maxage` / `max-age` can set: larger values are clamped to it (the
 * cache's own TTL ceiling; memcached would refuse the write of an absurd one).
 */
export const MAX_RESPONSE_TTL_SECONDS = 365 * 24 * 3600;

export type HeadVerdict =
  | { notStored: NotStoredReason }
  | { status: number; headers: StoredHeaders; ttl: number | undefined };

/** Hop-by-hop or per-response headers that a replay recomputes (RFC 9110 7.6.1), and our own. */
const NEVER_STORED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'date',
  'age',
  'set-cookie',
  'x-cache',
  'surrogate-key',
]);

/**
 * The decisions on a response head, in a fixed order. `sent` is the head as it went out, `behind` the
 * head the handlers behind the middleware produced, `upstream` the headers before the middleware ran.
 */
export function judgeHead(
  sent: Head,
  behind: Head,
  upstream: OutgoingHttpHeaders,
  o: Pick<ResolvedResponseCacheOptions, 'statuses' | 'setCookie' | 'vary' | 'respectCacheControl'>,
): HeadVerdict {
  const { status, headers } = sent;
  if (status >= 500) return { notStored: 'server-error' };
  if (!o.statuses.has(status)) return { notStored: 'status' };
  const cc = cacheControl(headers['cache-control']);
  for (const directive of ['private', 'no-store', 'no-cache'] as const) {
    if (cc.has(directive)) return { notStored: directive };
  }
  // Whoever set it (a session in front, at writeHead or before the route): the body may be tied to it.
  if (headers['set-cookie'] !== undefined && o.setCookie === 'pass') return { notStored: 'set-cookie' };
  if (unkeyedVary(sent, behind, o.vary)) return { notStored: 'vary' };

  let ttl: number | undefined;
  if (o.respectCacheControl) {
    const seconds = Number(cc.get('s-maxage') ?? cc.get('max-age'));
    if (cc.has('s-maxage') || cc.has('max-age')) {
      if (!Number.isFinite(seconds) || seconds <= 0) return { notStored: 'max-age' };
      ttl = Math.min(seconds, MAX_RESPONSE_TTL_SECONDS);
    }
  }
  const stored: StoredHeaders = [];
  for (const [name, value] of Object.entries(behind.headers)) {
    if (value === undefined || NEVER_STORED.has(name) || sameValue(value, upstream[name])) continue;
    stored.push([name, normalise(value)]);
  }
  return { status: behind.status, headers: stored, ttl };
}

/**
 * Whether the sent head varies on a request header the key does not cover (or on `*`), wherever the
 * `Vary` was set: an i18n middleware in front sets `Vary: Accept-Language` before the route, and the
 * page it wraps is rendered in the client's language.
 *
 * One exception: `Accept-Encoding` added only when the head was written (by `compression()` in front,
 * through on-headers), over a body the handlers behind left unencoded. The capture sits behind the
 * encoder and stores that identity body; a replay goes through the encoder again, which negotiates per
 * client and adds the `Vary` itself. What is stored does not vary on the encoding, so the key need not.
 * An encoded body (compression behind the middleware, a pre-compressed file) or a `Vary: Accept-Encoding`
 * already there behind the middleware does vary: it needs `accept-encoding` in the key.
 */
function unkeyedVary(sent: Head, behind: Head, keyed: readonly string[]): boolean {
  const before = new Set(tokens(behind.headers.vary));
  const identity = tokens(behind.headers['content-encoding']).every((coding) => coding === 'identity');
  return tokens(sent.headers.vary).some((name) => {
    if (name === 'accept-encoding' && identity && !before.has(name)) return false;
    return name === '*' || !keyed.includes(name);
  });
}

/** Cache-Control directives, lower-cased, with their (unquoted) arguments. */
export function cacheControl(value: OutgoingHttpHeaders[string]): Map<string, string | undefined> {
  const directives = new Map<string, string | undefined>();
  const text = Array.isArray(value) ? value.join(',') : String(value ?? '');
  for (const part of text.split(',')) {
    const [name = '', arg] = part.split('=', 2).map((s) => s.trim());
    if (name) directives.set(name.toLowerCase(), arg?.replace(/^"|"$/g, ''));
  }
  return directives;
}

/** The comma-separated, lower-cased tokens of a list header such as `Vary`. */
function tokens(value: OutgoingHttpHeaders[string]): string[] {
  const text = Array.isArray(value) ? value.join(',') : String(value ?? '');
  return text
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}

function normalise(value: NonNullable<OutgoingHttpHeaders[string]>): HeaderValue {
  return Array.isArray(value) ? value.map(String) : String(value);
}

function sameValue(a: OutgoingHttpHeaders[string], b: OutgoingHttpHeaders[string]): boolean {
  if (a === undefined || b === undefined) return a === b;
  return JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
}
