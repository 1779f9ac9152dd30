/**
 * Sends a stored response to a request that did not render it: the stored status, headers and body,
 * `X-Cache` and `Age`, a body-less answer to HEAD, and 304 when the client's validators match.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { CacheStatus, StoredResponse } from './record.js';

/** Statuses that never carry a body (RFC 9110 6.4.1). */
const BODYLESS = new Set([204, 304]);

export function replay(
  method: string,
  request: IncomingHttpHeaders,
  res: ServerResponse,
  record: StoredResponse,
  cacheStatus: CacheStatus,
  now: number,
): void {
  res.statusCode = record.status;
  for (const [name, value] of record.headers) res.setHeader(name, value);
  res.setHeader('X-Cache', cacheStatus);
  res.setHeader('Age', String(Math.max(0, Math.floor((now - record.storedAt) / 1000))));
  if ((record.status === 200 || record.status === 203) && notModified(request, record)) {
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
  const body = Buffer.from(record.body, 'base64');
  res.setHeader('Content-Length', body.length);
  if (method === 'HEAD') res.end();
  else res.end(body);
}

/** `If-None-Match` (weak comparison, `*`), else `If-Modified-Since` against `Last-Modified`. */
function notModified(request: IncomingHttpHeaders, record: StoredResponse): boolean {
  const header = (name: string) => record.headers.find(([n]) => n === name)?.[1];
  const ifNoneMatch = request['if-none-match'];
  if (ifNoneMatch !== undefined) {
    const etag = header('etag');
    if (typeof etag !== 'string') return false;
    const wanted = ifNoneMatch.split(',').map((tag) => tag.trim());
    return wanted.includes('*') || wanted.some((tag) => weak(tag) === weak(etag));
  }
  const since = Date.parse(request['if-modified-since'] ?? '');
  const lastModified = header('last-modified');
  if (Number.isNaN(since) || typeof lastModified !== 'string') return false;
  const modified = Date.parse(lastModified);
  return !Number.isNaN(modified) && modified <= since;
}

function weak(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}
