/**
 * Cache keys as memcached sees them. memcached closes the connection on a key over 250 bytes (breaking
 * every call pipelined on it) and the text protocol cannot carry spaces or control characters, so such
 * keys are replaced by a readable prefix plus a SHA-256 digest before anything is sent.
 */
import { createHash } from 'node:crypto';
import { InvalidOptionError } from './errors.js';

/** Longest key we send: 250 bytes minus room for the lock key's `safe-` prefix. */
export const MAX_KEY_BYTES = 245;
const LOCK_PREFIX = 'safe-';
const READABLE_PREFIX_CHARS = 48;
// Printable ASCII except '#', which marks hashed keys so a plain key can never equal a hashed one.
const SAFE_KEY = /^[\x21-\x22\x24-\x7e]+$/;

/** The memcached key of `key` under `namespace`. Throws a TypeError for a non-string or empty key. */
export function toStoreKey(namespace: string, key: string): string {
  if (typeof key !== 'string' || key.length === 0)
    throw new InvalidOptionError('key', 'a non-empty string', key);
  const full = namespace ? `${namespace}:${key}` : key;
  if (full.length <= MAX_KEY_BYTES && SAFE_KEY.test(full)) return full;
  const digest = createHash('sha256').update(full, 'utf8').digest('base64url');
  const readable = key.slice(0, READABLE_PREFIX_CHARS).replace(/[^\x21-\x22\x24-\x7e]/g, '_');
  return `${namespace ? `${namespace}:` : ''}${readable}#${digest}`;
}

/** The key of the `safe-` lock guarding the data key `storeKey` (routed with it by the store). */
export function lockKeyOf(storeKey: string): string {
  return LOCK_PREFIX + storeKey;
}

/**
 * A stable key for a function's arguments: JSON with object keys sorted, so `{a, b}` and `{b, a}` agree,
 * and `toJSON()` honoured as JSON does (a URL is its href). Values JSON cannot tell apart are rejected
 * rather than silently merged: `undefined`, functions, and objects whose state JSON does not see (Map, Set,
 * RegExp, Error, instances without own fields). Non-finite numbers, `null` in JSON, keep their own names.
 */
export function argumentsKey(args: readonly unknown[]): string {
  return args.length === 0 ? '' : stableStringify(args);
}

function stableStringify(input: unknown, fromToJSON = false): string {
  if (input === null || typeof input === 'boolean' || typeof input === 'string') return JSON.stringify(input);
  // NaN and ±Infinity are not JSON tokens, so they can equal no other argument's key.
  if (typeof input === 'number') return Number.isFinite(input) ? JSON.stringify(input) : String(input);
  if (typeof input === 'bigint') return `${input}n`;
  if (input instanceof Date) return JSON.stringify(input.toISOString());
  // As JSON does: one toJSON() per value (a toJSON() result is not asked for its own).
  if (!fromToJSON && hasToJSON(input)) return stableStringify(input.toJSON(), true);
  if (Array.isArray(input)) return `[${input.map((item) => stableStringify(item)).join(',')}]`;
  if (typeof input === 'object' && input !== null && jsonSeesState(input)) {
    const entries = Object.keys(input)
      .sort()
      .filter((k) => (input as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableStringify((input as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  throw new InvalidOptionError('cached() argument', 'JSON-like (use the `key` option for others)', input);
}

function hasToJSON(value: unknown): value is { toJSON(): unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  );
}

/** Plain objects, and other objects whose state is in own fields; not Map, Set, RegExp, Error and the like. */
function jsonSeesState(value: object): boolean {
  if (value instanceof Map || value instanceof Set) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || Object.keys(value).length > 0;
}
