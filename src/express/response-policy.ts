/**
 * Whether a rendered response may be stored and shared, decided from its status and headers as they are
 * when the head is written, and which of its headers are stored.
 *
 * Only what the cached part of the stack added is stored: headers already on the response when the
 * middleware ran (CORS, session cookies, security headers of middleware in front) belong to each
 * request, which sets its own when the stored response is replayed.
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
]);

/** The decisions on a response head, in a fixed order. `upstream` is the head before the middleware ran. */
export function judgeHead(
  status: number,
  headers: OutgoingHttpHeaders,
  upstream: OutgoingHttpHeaders,
  o: ResolvedResponseCacheOptions,
): HeadVerdict {
  if (status >= 500) return { notStored: 'server-error' };
  if (!o.statuses.has(status)) return { notStored: 'status' };
  const cc = cacheControl(headers['cache-control']);
  for (const directive of ['private', 'no-store', 'no-cache'] as const) {
    if (cc.has(directive)) return { notStored: directive };
  }
  const added = (name: string) => !sameValue(headers[name], upstream[name]);
  if (headers['set-cookie'] !== undefined && added('set-cookie') && o.setCookie === 'pass') {
    return { notStored: 'set-cookie' };
  }
  const before = new Set(tokens(upstream.vary));
  const varied = tokens(headers.vary).filter((name) => !before.has(name));
  if (varied.some((name) => name === '*' || !o.vary.includes(name))) return { notStored: 'vary' };

  let ttl: number | undefined;
  if (o.respectCacheControl) {
    const seconds = Number(cc.get('s-maxage') ?? cc.get('max-age'));
    if (cc.has('s-maxage') || cc.has('max-age')) {
      if (!Number.isFinite(seconds) || seconds <= 0) return { notStored: 'max-age' };
      ttl = seconds;
    }
  }
  const stored: StoredHeaders = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NEVER_STORED.has(name) || !added(name)) continue;
    stored.push([name, normalise(value)]);
  }
  return { status, headers: stored, ttl };
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
