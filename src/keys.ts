/**
 * Cache keys as memcached sees them. memcached closes the connection on a key over 250 bytes (breaking
 * every call pipelined on it) and the text protocol cannot carry spaces or control characters, so such
 * keys are replaced by a readable prefix plus a SHA-256 digest before anything is sent.
 *
 * Three key spaces share memcached, and no two (namespace, key) pairs may meet in them:
 *
 *   data key    `<prefix><key>`                   app:user:42        (key printable ASCII, no `#`)
 *   hashed key  `<prefix><readable>#<digest>`     app:user_42#Xq3…   (anything else)
 *   lock key    `safe-<data or hashed key>`       safe-app:user:42
 *
 * where `<prefix>` is `<namespace>:` and, for the empty namespace, `:` when the key contains `:` or starts
 * with `safe-` (otherwise nothing, as in 0.1). A namespace is printable ASCII without `:` and does not
 * start with `safe-` (options.ts enforces both). Why the three sets are injective and pairwise disjoint:
 *
 * - The *plain form* `<prefix><key>` determines the pair: the namespace is what precedes its first `:`
 *   (a namespace has none); no `:` at all means the empty namespace and the whole string is the key.
 * - Data keys are plain forms, so they are injective. Hashed keys end in `#` + SHA-256 of the plain form,
 *   encoded as WTF-8 (UTF-8 that keeps lone surrogates as their own three bytes, where UTF-8 would turn
 *   them all into U+FFFD), so distinct pairs have distinct digests. A data key never contains `#`; a
 *   hashed key always does: the two sets are disjoint.
 * - No data or hashed key starts with `safe-`: a non-empty namespace does not, and the empty namespace
 *   adds `:` in front of such keys. Every lock key does, followed by exactly one data or hashed key, so
 *   lock keys are injective and disjoint from both.
 * - Sizes and alphabet: data keys are at most 245 printable ASCII bytes, hashed keys at most
 *   64 + 1 + 48 + 1 + 43 = 157, so a lock key (5 bytes more) stays within memcached's 250.
 *
 * Keys that were plain in 0.1 under a namespace keep their bytes (and their hashed forms, for well-formed
 * strings), so an upgrade keeps its warm cache; only empty-namespace keys with `:` or a `safe-` prefix move.
 */
import { createHash } from 'node:crypto';
import { InvalidOptionError } from './errors.js';

/** Longest key we send: 250 bytes minus room for the lock key's `safe-` prefix. */
export const MAX_KEY_BYTES = 245;
/** The lock key space: reserved, so no namespace may start with it (see options.ts). */
export const LOCK_PREFIX = 'safe-';
const READABLE_PREFIX_CHARS = 48;
// Printable ASCII except '#', which marks hashed keys so a plain key can never equal a hashed one.
const SAFE_KEY = /^[\x21-\x22\x24-\x7e]+$/;
// With the u flag a surrogate pair is one code point: what still matches is a lone surrogate.
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Whether `namespace` keeps the key spaces apart: printable ASCII, no `:`, no `safe-` prefix, at most 64. */
export function isValidNamespace(namespace: unknown): namespace is string {
  return (
    typeof namespace === 'string' &&
    /^[\x21-\x39\x3b-\x7e]{0,64}$/.test(namespace) &&
    !namespace.startsWith(LOCK_PREFIX)
  );
}

/** The memcached key of `key` under `namespace`. Throws a TypeError for a non-string or empty key. */
export function toStoreKey(namespace: string, key: string): string {
  if (typeof key !== 'string' || key.length === 0)
    throw new InvalidOptionError('key', 'a non-empty string', key);
  const prefix = namespace ? `${namespace}:` : needsEmptyNamespaceMark(key) ? ':' : '';
  const plain = prefix + key;
  if (plain.length <= MAX_KEY_BYTES && SAFE_KEY.test(plain)) return plain;
  const digest = createHash('sha256').update(wtf8(plain)).digest('base64url');
  const readable = key.slice(0, READABLE_PREFIX_CHARS).replace(/[^\x21-\x22\x24-\x7e]/g, '_');
  return `${prefix}${readable}#${digest}`;
}

/** The key of the `safe-` lock guarding the data key `storeKey` (routed with it by the store). */
export function lockKeyOf(storeKey: string): string {
  return LOCK_PREFIX + storeKey;
}

/** In the empty namespace, a key that could read as `<namespace>:<key>` or as a lock key is marked. */
function needsEmptyNamespaceMark(key: string): boolean {
  return key.includes(':') || key.startsWith(LOCK_PREFIX);
}

/**
 * WTF-8: UTF-8, except that a lone surrogate is written as its own three-byte sequence (which valid
 * UTF-8 never contains) instead of U+FFFD, so distinct strings always give distinct bytes.
 */
export function wtf8(text: string): Buffer {
  if (!LONE_SURROGATE.test(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++; // a well-formed pair: UTF-8 encodes it
      continue;
    }
    parts.push(Buffer.from(text.slice(start, i), 'utf8'));
    parts.push(Buffer.from([0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]));
    start = i + 1;
  }
  parts.push(Buffer.from(text.slice(start), 'utf8'));
  return Buffer.concat(parts);
}
