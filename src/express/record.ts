/**
 * What the middleware stores under a key (through the cache's serializer, so plain JSON): a response, or
 * a short-lived "not cacheable" marker. Timestamps are the storing process's clock.
 */
import type { NotStoredReason, StoredHeaders } from './response-policy.js';

/** The response a request got, as `X-Cache` tells it. */
export type CacheStatus = 'HIT' | 'STALE' | 'MISS' | 'WAIT' | 'BYPASS';

export interface StoredResponse {
  v: 1;
  status: number;
  headers: StoredHeaders;
  /** The body, base64: survives any serializer. */
  body: string;
  /** When the render finished (ms since the epoch). */
  storedAt: number;
  /** When it stops being fresh; past it, within `grace`, it is served as STALE. */
  freshUntil: number;
}

/** Hit-for-pass: the last render of this key was not cacheable; render without waiting for anyone. */
export interface PassMarker {
  v: 1;
  pass: NotStoredReason;
  storedAt: number;
}

export type ResponseRecord = StoredResponse | PassMarker;

export function isResponseRecord(value: unknown): value is ResponseRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<StoredResponse & PassMarker>;
  if (r.v !== 1 || typeof r.storedAt !== 'number') return false;
  if (typeof r.pass === 'string') return true;
  return (
    typeof r.status === 'number' &&
    Array.isArray(r.headers) &&
    typeof r.body === 'string' &&
    typeof r.freshUntil === 'number'
  );
}

/**
 * How a request that did not render got its record. WAIT: the record was made after the request
 * started (it waited for a render, here or in another process). STALE: past its freshness (grace).
 */
export function cacheStatusOf(record: StoredResponse, startedAt: number, now: number): CacheStatus {
  // Strictly after: a request sent right after the render ended may start in the same millisecond.
  if (record.storedAt > startedAt) return 'WAIT';
  return now >= record.freshUntil ? 'STALE' : 'HIT';
}
