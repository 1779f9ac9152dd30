/**
 * Cache keys as memcached sees them. memcached closes the connection on a key over 250 bytes (breaking
 * every call pipelined on it) and the text protocol cannot carry spaces or control characters, so such
 * keys are replaced by a readable prefix plus a SHA-256 digest before anything is sent.
 *
 * Five key spaces share memcached, and no two (namespace, key) pairs may meet in them:
 *
 *   data key    `<prefix><key>`                   app:user:42        (key printable ASCII, no `#`)
 *   hashed key  `<prefix><readable>#<digest>`     app:user_42#Xq3…   (anything else)
 *   lock key    `safe-<data or hashed key>`       safe-app:user:42
 *   tag key     `tag-<data or hashed key of the tag>`  tag-app:product  (a tag's version, see invalidation/)
 *   epoch key   `tag-<namespace>:`                tag-app:           (changes with every tag invalidation)
 *
 * where `<prefix>` is `<namespace>:` and, for the empty namespace, `:` when the key contains `:` or starts
 * with a reserved prefix, `safe-` or `tag-` (otherwise nothing, as in 0.1). A namespace is printable ASCII
 * without `:` and starts with neither reserved prefix (options.ts enforces it). Why the five sets are
 * injective and pairwise disjoint:
 *
 * - The *plain form* `<prefix><key>` determines the pair: the namespace is what precedes its first `:`
 *   (a namespace has none); no `:` at all means the empty namespace and the whole string is the key.
 * - Data keys are plain forms, so they are injective. Hashed keys end in `#` + SHA-256 of the plain form,
 *   encoded as WTF-8 (UTF-8 that keeps lone surrogates as their own three bytes, where UTF-8 would turn
 *   them all into U+FFFD), so distinct pairs have distinct digests. After its prefix (a namespace may
 *   hold `#`), a data key never contains `#` and a hashed key always does: the two sets are disjoint.
 * - No data or hashed key starts with `safe-` or `tag-`: a non-empty namespace does not, and the empty
 *   namespace adds `:` in front of such keys. Every lock key starts with `safe-` and every tag or epoch key
 *   with `tag-` (neither prefix starts the other), followed by exactly one data or hashed key (lock, tag
 *   keys: injective, as those are) or by `<namespace>:` (epoch keys: injective, as a namespace has no `:`),
 *   so the three sets are disjoint from data and hashed keys and from each other. An epoch key never equals
 *   a tag key: `<namespace>:` is no data or hashed key (a key is never empty, a digest never ends in `:`).
 * - Sizes and alphabet: data keys are at most 245 printable ASCII bytes, hashed keys at most
 *   64 + 1 + 48 + 1 + 43 = 157, so a lock key (5 bytes more) or a tag key (4 more) stays within 250.
 *
 * Keys that were plain in 0.1 under a namespace keep their bytes (and their hashed forms, for well-formed
 * strings), so an upgrade keeps its warm cache; only empty-namespace keys with `:` or a `safe-` prefix
 * move, and, since tags, those starting with `tag-` (and a namespace may no longer start with `tag-`).
 */
import { createHash } from 'node:crypto';
import { InvalidOptionError } from './errors.js';

/** Longest key we send: 250 bytes minus room for the lock key's `safe-` prefix. */
export const MAX_KEY_BYTES = 245;
/** The lock key space: reserved, so no namespace may start with it (see options.ts). */
export const LOCK_PREFIX = 'safe-';
/** The tag key space (tag versions, the epoch): reserved like the lock space. */
export const TAG_PREFIX = 'tag-';
const RESERVED_PREFIXES = [LOCK_PREFIX, TAG_PREFIX];
const READABLE_PREFIX_CHARS = 48;
// Printable ASCII except '#', which marks hashed keys so a plain key can never equal a hashed one.
const SAFE_KEY = /^[\x21-\x22\x24-\x7e]+$/;
// With the u flag a surrogate pair is one code point: what still matches is a lone surrogate.
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Whether `namespace` keeps the key spaces apart: printable ASCII, no `:`, no reserved prefix, at most 64. */
export function isValidNamespace(namespace: unknown): namespace is string {
  return (
    typeof namespace === 'string' &&
    /^[\x21-\x39\x3b-\x7e]{0,64}$/.test(namespace) &&
    !startsReserved(namespace)
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

/** The key holding the version of `tag` under `namespace` (routed by itself). Throws like `toStoreKey`. */
export function tagKeyOf(namespace: string, tag: string): string {
  return TAG_PREFIX + toStoreKey(namespace, tag);
}

/** The key whose value changes with every tag invalidation under `namespace` (see invalidation/). */
export function tagEpochKeyOf(namespace: string): string {
  return `${TAG_PREFIX}${namespace}:`;
}

/** In the empty namespace, a key that could read as `<namespace>:<key>` or in a reserved space is marked. */
function needsEmptyNamespaceMark(key: string): boolean {
  return key.includes(':') || startsReserved(key);
}

function startsReserved(text: string): boolean {
  return RESERVED_PREFIXES.some((prefix) => text.startsWith(prefix));
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
