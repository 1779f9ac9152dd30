/**
 * What the middleware stores under a key (through the cache's serializer, so plain JSON): a response, or
 * a short-lived "not cacheable" marker. Its freshness is the cache entry's (the cache reports it with
 * each answer); the record keeps only when it was rendered, for `Age`, by the storing process's clock.
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
  /** When the render finished (ms since the epoch): the replay's `Age`. */
  storedAt: number;
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
  return typeof r.status === 'number' && Array.isArray(r.headers) && typeof r.body === 'string';
}
