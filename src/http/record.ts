/**
 * What the middleware stores under a key: a page, or a short-lived "not cacheable" marker. Its freshness is
 * the cache entry's (the cache reports it with each answer); the record keeps only when it was rendered,
 * for `Age`, by the storing process's clock.
 *
 * A page is stored as one Buffer, which the cache keeps as its bytes whatever its serializer (see
 * envelope.ts), so the body is neither inflated by base64 nor parsed on a hit:
 *
 *   `SGP` 0x01 | u32 BE length of the head | head: JSON `{"status":…,"headers":[[name, value]…],"storedAt":…}` | body
 *
 * A marker is a small object through the serializer: `{ v: 1, pass: <reason>, storedAt }`. Pages stored by
 * earlier versions (`{ v: 1, status, headers, body: <base64>, storedAt }`) are still read.
 */
import type { NotStoredReason, StoredHeaders } from './response-policy.js';

/** The response a request got, as `X-Cache` tells it. */
export type CacheStatus = 'HIT' | 'STALE' | 'MISS' | 'WAIT' | 'BYPASS';

export interface StoredResponse {
  status: number;
  headers: StoredHeaders;
  body: Buffer;
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

const MAGIC = Buffer.from('SGP\x01', 'latin1');
const HEAD_AT = MAGIC.length + 4;

/** The bytes a page is stored as. */
export function encodePage(page: StoredResponse): Buffer {
  const { status, headers, storedAt } = page;
  const head = Buffer.from(JSON.stringify({ status, headers, storedAt }), 'utf8');
  const out = Buffer.allocUnsafe(HEAD_AT + head.length + page.body.length);
  MAGIC.copy(out, 0);
  out.writeUInt32BE(head.length, MAGIC.length);
  head.copy(out, HEAD_AT);
  page.body.copy(out, HEAD_AT + head.length);
  return out;
}

/**
 * Records by the value they were read from. The memory tier answers every hit with the same value, so a
 * page it holds is decoded once, not per request; a value read from memcached is a new object each time.
 */
const readRecords = new WeakMap<object, ResponseRecord>();

/** The record a stored value holds; undefined for anything else (another writer's value, corrupt bytes). */
export function readRecord(value: unknown): ResponseRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  let record = readRecords.get(value);
  if (record === undefined) {
    record = Buffer.isBuffer(value) ? decodePage(value) : fromObject(value);
    if (record !== undefined) readRecords.set(value, record);
  }
  return record;
}

function decodePage(bytes: Buffer): StoredResponse | undefined {
  if (bytes.length < HEAD_AT || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const headEnd = HEAD_AT + bytes.readUInt32BE(MAGIC.length);
  if (headEnd > bytes.length) return undefined;
  let head: unknown;
  try {
    head = JSON.parse(bytes.toString('utf8', HEAD_AT, headEnd));
  } catch {
    return undefined;
  }
  const h = head as Partial<StoredResponse>;
  if (!isHead(h)) return undefined;
  return { status: h.status, headers: h.headers, storedAt: h.storedAt, body: bytes.subarray(headEnd) };
}

function fromObject(value: object): ResponseRecord | undefined {
  const r = value as Partial<PassMarker & { status: number; headers: StoredHeaders; body: string }>;
  if (r.v !== 1 || typeof r.storedAt !== 'number') return undefined;
  if (typeof r.pass === 'string') return value as PassMarker;
  const { body } = r;
  if (!isHead(r) || typeof body !== 'string') return undefined;
  return { status: r.status, headers: r.headers, storedAt: r.storedAt, body: Buffer.from(body, 'base64') };
}

function isHead(h: {
  status?: unknown;
  headers?: unknown;
  storedAt?: unknown;
}): h is Omit<StoredResponse, 'body'> {
  return (
    typeof h.status === 'number' &&
    typeof h.storedAt === 'number' &&
    Array.isArray(h.headers) &&
    h.headers.every(
      (entry) =>
        Array.isArray(entry) &&
        entry.length === 2 &&
        typeof entry[0] === 'string' &&
        (typeof entry[1] === 'string' ||
          (Array.isArray(entry[1]) && entry[1].every((v: unknown) => typeof v === 'string'))),
    )
  );
}

export function isPassMarker(record: ResponseRecord): record is PassMarker {
  return 'pass' in record;
}
