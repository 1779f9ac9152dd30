/**
 * The cache key of a request. Two requests share a key only when the app sees them alike, so one
 * client's page can never answer another's: the key is injective over what it covers.
 *
 *   http:<scheme>://<host><path>[?<canonical query>][|<vary header>=<value> | |<vary header>]...
 *
 * - scheme and host are the request's as the app sees them (the adapter reads them: Express's
 *   `req.protocol` and `req.host`, with `trust proxy` from `X-Forwarded-Proto` / `X-Forwarded-Host`), so a
 *   forged value only ever reaches the forger's own entry; escaped so neither can imitate the next part
 *   (no `:` in the scheme, no `/` in the host); a request without a host has an empty one.
 * - the path is kept as sent; the query is canonical (canonical-query.ts).
 * - each `vary` header, in the option's order: `|name=value`, the value escaped (no `|`, no space) and
 *   as sent, except for the few headers whose values are case-insensitive (below); `|name` when absent.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { canonicalQuery } from './canonical-query.js';

/** What a key is made of, as the adapter reads it from its framework's request. */
export interface RequestTarget {
  /** The request target as the client sent it (path and query), before any router stripped a mount path. */
  url: string;
  /** `http` or `https` as the app sees it (behind a trusted proxy, the forwarded one). */
  protocol: string;
  /** The host as the app sees it, port included; undefined without one. */
  host: string | undefined;
}

/**
 * How a header value goes into the key, for headers whose values the HTTP spec (and the middleware the
 * header feeds) reads case-insensitively. Everything else is kept as sent: `X-Tenant: Acme` is not `acme`.
 */
const NORMALISED_VALUES: Record<string, (value: string) => string> = {
  // Content-codings are case-insensitive (RFC 9110 §8.4.1) and compression()'s negotiator compares them
  // lower-cased; whitespace around `,` and `;` is optional. Parameters stay as sent: negotiator reads
  // only a lower-case `q`, so `Q=0` is not `q=0` to it.
  'accept-encoding': (value) =>
    value
      .split(',')
      .map((element) => {
        const [coding = '', ...params] = element.split(';');
        return [coding.trim().toLowerCase(), ...params.map((p) => p.trim())].join(';');
      })
      .join(','),
};

/** The default base key: scheme, host, path and canonical query, or false for a target that is no path. */
export function defaultKey(target: RequestTarget): string | false {
  const { url } = target;
  // An absolute-form (`GET http://other/x`) or `*` target: its host is not the one the key covers.
  if (!url.startsWith('/')) return false;
  return `${percentEscape(target.protocol, SCHEME)}://${percentEscape(target.host ?? '', HOST)}${pathAndQuery(url)}`;
}

/** The path as sent, then the canonical query (an empty query is no query: both parsers read `{}`). */
export function pathAndQuery(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = canonicalQuery(url.slice(q + 1));
  return query ? `${url.slice(0, q)}?${query}` : url.slice(0, q);
}

/** `|name=value` for each varied header, `|name` for an absent one. */
export function varySuffix(h: IncomingHttpHeaders, vary: readonly string[]): string {
  let suffix = '';
  for (const name of vary) {
    const raw = h[name];
    if (raw === undefined) {
      suffix += `|${name}`;
      continue;
    }
    // Node joins repeated request headers into one string; only `set-cookie` is an array, and the
    // options refuse it in `vary`.
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    suffix += `|${name}=${percentEscape(NORMALISED_VALUES[name]?.(value) ?? value, HEADER_VALUE)}`;
  }
  return suffix;
}

/** The characters a part may keep as they are; with `whole`, the test of a part made only of them. */
interface Allowed {
  char: RegExp;
  whole: RegExp;
}

const allowing = (char: RegExp): Allowed => ({ char, whole: new RegExp(`^${char.source}*$`) });
const SCHEME = allowing(/[A-Za-z0-9+.-]/);
const HOST = allowing(/[A-Za-z0-9._~!$&'()*+,;=:[\]-]/);
/** Printable ASCII but `%` (the escape) and `|` (the separator). */
const HEADER_VALUE = allowing(/[\x21-\x24\x26-\x7b\x7d\x7e]/);

/** Percent-escapes every character outside `allowed`: `%XX` below 256, `%uXXXX` above; injective. */
function percentEscape(text: string, allowed: Allowed): string {
  if (allowed.whole.test(text)) return text; // the usual case, in one test (every request builds a key)
  let out = '';
  for (const char of text) {
    if (char.length === 1 && allowed.char.test(char)) {
      out += char;
      continue;
    }
    for (let i = 0; i < char.length; i++) {
      const code = char.charCodeAt(i);
      out += code < 0x100 ? `%${hex(code, 2)}` : `%u${hex(code, 4)}`;
    }
  }
  return out;
}

function hex(code: number, digits: number): string {
  return code.toString(16).toUpperCase().padStart(digits, '0');
}

/**
 * What the warmup recorder keeps to replay a request: the URL as the app saw it, scheme and host
 * included (`https://shop.example/list?b=2`), so the crawler can send that host and warm the key live
 * traffic uses; the path alone when scheme or host could not be read back from such a URL.
 */
export function replayUrl(target: RequestTarget): string {
  const { url, protocol, host } = target;
  const readable = /^https?$/.test(protocol) && host !== undefined && /^[^/?#@\\\s]+$/.test(host);
  return readable && url.startsWith('/') ? `${protocol}://${host}${url}` : url;
}
