/**
 * The query part of the default key. Two URLs share a key only when both of Express's query parsers read
 * them the same: `simple` (node:querystring, Express 5's default) and `extended` (qs). What they do that
 * matters here:
 * - both split on `&`, read `+` as a space and percent-decode with `decodeURIComponent`; when that throws
 *   (invalid UTF-8, a stray `%`), querystring decodes bytes with U+FFFD for bad ones while qs keeps the raw
 *   text: `%FE` and `%FF` are one value for querystring and two for qs, `%32%FE` and `2%FE` two for qs;
 * - qs splits a part at `]=` before its first `=`, and merges parameters sharing a root name (`a`, `a[]`,
 *   `a[0]`) into one array whose order is their order in the URL; both stop after 1000 parameters;
 * - Express's URL parser ends the query at a raw `#`, and falls back to `url.parse` on whitespace.
 * So the normalisation works on bytes and only where the result is provable: a part that decodes as UTF-8
 * is re-encoded canonically (`%32` → `2`, `%20` → `+`, hex upper-cased), keeping `=`, `[`, `]` raw or
 * escaped as sent; parts are sorted by root name only, stably; anything else is kept as sent.
 */

/** Both parsers read at most this many parameters: reordering more could change which ones they see. */
const PARAMETER_LIMIT = 1000;
/** Bytes whose escaped and raw forms both parsers read alike, written raw (RFC 3986 unreserved and safe sub-delims). */
const PLAIN = /^[A-Za-z0-9\-._~!$'()*,;:@/?]$/;
/** Raw characters that mean something to a parser's structure: kept exactly as they were sent. */
const STRUCTURAL = new Set(['=', '[', ']']);

/** The query in canonical form (no leading `?`); '' when nothing is left. */
export function canonicalQuery(query: string): string {
  // Outside printable ASCII, or with a fragment, Express reads the URL differently: key it as sent.
  if (/[^\x21-\x7e]|#/.test(query)) return query;
  const parts = query.split('&');
  const canonical = parts.map(canonicalPart);
  if (parts.length > PARAMETER_LIMIT || canonical.some((part) => part === undefined)) {
    return parts.map((part, i) => canonical[i] ?? part).join('&');
  }
  const named = (canonical as string[])
    .filter((part) => part !== '')
    .map((part) => ({ part, root: rootName(part) }));
  named.sort((a, b) => (a.root < b.root ? -1 : a.root > b.root ? 1 : 0)); // stable: same roots keep their order
  return named.map(({ part }) => part).join('&');
}

/** A part re-encoded canonically, or undefined when it does not decode as UTF-8 (kept as sent then). */
function canonicalPart(part: string): string | undefined {
  if (!decodes(part)) return undefined;
  let out = '';
  for (let i = 0; i < part.length; i++) {
    const char = part[i] as string;
    if (char === '%') {
      const hex = part.slice(i + 1, i + 3).toUpperCase();
      const decoded = String.fromCharCode(Number.parseInt(hex, 16));
      i += 2;
      if (decoded === ' ') out += '+';
      else out += PLAIN.test(decoded) ? decoded : `%${hex}`;
    } else if (char === '+' || STRUCTURAL.has(char) || PLAIN.test(char)) {
      out += char;
    } else {
      out += `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

function decodes(part: string): boolean {
  try {
    decodeURIComponent(part.replaceAll('+', ' '));
    return true;
  } catch {
    return false;
  }
}

/**
 * What the part's name starts with, up to its first `=`, `[` or `]` (decoded). Parts that either parser
 * could put under one name (querystring: the text before the first `=`; qs: the root before the first
 * bracket, after a split that may be at `]=`) always share this, so sorting by it never reorders them.
 */
function rootName(canonicalPart: string): string {
  const decoded = decodeURIComponent(canonicalPart.replaceAll('+', ' '));
  const end = decoded.search(/[=[\]]/);
  return end < 0 ? decoded : decoded.slice(0, end);
}
