/**
 * Sends a stored response to a request that did not render it: the stored status, headers and body,
 * `X-Cache` and `Age`, a body-less answer to HEAD, and 304 when the client's validators match.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { CacheStatus, StoredResponse } from './record.js';
import type { StoredHeaders } from './response-policy.js';

/** Statuses that never carry a body (RFC 9110 6.4.1). */
const BODYLESS = new Set([204, 304]);

/** A stored response made ready to send: its validators looked up. */
interface Prepared {
  contentLength: string;
  etag: string | undefined;
  lastModified: string | undefined;
}

/**
 * Prepared responses by the record they were made from. The memory tier answers every hit with the same
 * record (see `readRecord`), so a page it holds is prepared once, not per request. An entry lives as long
 * as its record (a WeakMap).
 */
const preparedRecords = new WeakMap<StoredResponse, Prepared>();

function prepared(record: StoredResponse): Prepared {
  let ready = preparedRecords.get(record);
  if (ready === undefined) {
    const header = (name: string) => {
      const value = record.headers.find(([n]) => n === name)?.[1];
      return typeof value === 'string' ? value : undefined;
    };
    ready = {
      contentLength: String(record.body.length),
      etag: header('etag'),
      lastModified: header('last-modified'),
    };
    preparedRecords.set(record, ready);
  }
  return ready;
}

export function replay(
  method: string,
  request: IncomingHttpHeaders,
  res: ServerResponse,
  record: StoredResponse,
  cacheStatus: CacheStatus,
  now: number,
): void {
  const ready = prepared(record);
  res.statusCode = record.status;
  const { headers } = record;
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i] as StoredHeaders[number];
    res.setHeader(name, value);
  }
  res.setHeader('X-Cache', cacheStatus);
  res.setHeader('Age', String(Math.max(0, Math.floor((now - record.storedAt) / 1000))));
  if ((record.status === 200 || record.status === 203) && notModified(request, ready)) {
    // The 304 keeps the validators and caching headers, never the representation's (RFC 9110 15.4.5).
    res.statusCode = 304;
    for (const name of ['content-type', 'content-length', 'content-encoding', 'transfer-encoding']) {
      res.removeHeader(name);
    }
    res.end();
    return;
  }
  if (BODYLESS.has(record.status)) {
    res.end();
    return;
  }
  res.setHeader('Content-Length', ready.contentLength);
  if (method === 'HEAD') res.end();
  else res.end(record.body);
}

/** `If-None-Match` (weak comparison, `*`), else `If-Modified-Since` against `Last-Modified`. */
function notModified(request: IncomingHttpHeaders, ready: Prepared): boolean {
  const ifNoneMatch = request['if-none-match'];
  if (ifNoneMatch !== undefined) {
    const { etag } = ready;
    if (etag === undefined) return false;
    const wanted = ifNoneMatch.split(',').map((tag) => tag.trim());
    return wanted.includes('*') || wanted.some((tag) => weak(tag) === weak(etag));
  }
  const ifModifiedSince = request['if-modified-since'];
  if (ifModifiedSince === undefined || ready.lastModified === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  const modified = Date.parse(ready.lastModified);
  return !Number.isNaN(since) && !Number.isNaN(modified) && modified <= since;
}

function weak(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}
