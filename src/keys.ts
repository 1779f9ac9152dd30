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
 * A stable key for a function's arguments: JSON with object keys sorted, so `{a, b}` and `{b, a}` agree.
 * Values JSON cannot tell apart (`undefined` and functions) are rejected rather than silently merged.
 */
export function argumentsKey(args: readonly unknown[]): string {
  return args.length === 0 ? '' : stableStringify(args);
}

function stableStringify(value: unknown): string {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  throw new InvalidOptionError('cached() argument', 'JSON-like (use the `key` option for others)', value);
}
