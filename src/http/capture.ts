/**
 * Captures a response while it streams to its client unchanged: the head when it is written, and the
 * body chunks of `write()` / `end()` (which `pipe()`, `res.send()` and `res.json()` all end up calling).
 *
 * The capture wraps `writeHead`, `write` and `end` as own properties, like `compression()` and
 * `on-headers` do, so it sees exactly what the handlers behind it produce: with `compression()` in front
 * it captures the identity body, before compression. Being wrapped after the middleware in front, its
 * `writeHead` runs before theirs: it notes the head the handlers produced, lets the head go out through
 * the middleware in front (whose on-headers listeners add to it: express-session's cookie, compression's
 * `Vary`), then judges the head as it was sent. The verdict comes as soon as it is known: a response that
 * cannot be stored is reported at its head (or when it outgrows the limit), not when it ends, so whoever
 * waits for it is released at once.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Head, HeadVerdict, NotStoredReason, StoredHeaders } from './response-policy.js';

export type Captured =
  | { stored: false; reason: NotStoredReason }
  | {
      stored: true;
      status: number;
      headers: StoredHeaders;
      ttl: number | undefined;
      body: Buffer;
      /** The page's tags (its `Surrogate-Key`, the `tags` option); null when the `tags` option threw. */
      tags: string[] | null;
    };

type Method = (this: ServerResponse, ...args: unknown[]) => unknown;
type HeadersArgument = OutgoingHttpHeaders | Array<string | string[]> | undefined;

/**
 * Starts capturing `res`. `judge` sees the head as it was sent, and the head the handlers behind produced
 * (headers given to their `writeHead` included). `takeTags` runs just before the head goes out: it reads
 * the page's tags and removes what must not reach the client (`Surrogate-Key`). Resolves once: with the
 * verdict, or with the whole response at `end()`.
 */
export function captureResponse(
  res: ServerResponse,
  judge: (sent: Head, behind: Head) => HeadVerdict,
  maxBodyBytes: number,
  takeTags: (res: ServerResponse) => string[] | null,
): Promise<Captured> {
  return new Promise((resolve) => {
    // The methods as they are now (perhaps wrapped by middleware in front), called with what we got.
    const writeHead = res.writeHead as Method;
    const write = res.write as Method;
    const end = res.end as Method;
    let verdict: HeadVerdict | undefined;
    let chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    let settled = false;
    let ended = false;
    let tags: string[] | null = [];
    const settle = (captured: Captured) => {
      if (settled) return;
      settled = true;
      chunks = [];
      resolve(captured);
    };
    const collect = (chunk: unknown, encoding: unknown) => {
      if (settled || tooLarge || chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const bytes = toBuffer(chunk, encoding);
      size += bytes.length;
      if (size <= maxBodyBytes) {
        chunks.push(bytes);
        return;
      }
      tooLarge = true;
      chunks = [];
      // Before the head is judged (a first write, or `send()`'s single `end()`), the head decides: a 5xx
      // is a failed render (no marker, stale-if-error applies), not merely a page too large to store.
      if (verdict) settle({ stored: false, reason: 'too-large' });
    };

    res.writeHead = function capturedWriteHead(this: ServerResponse, status: number, ...rest: unknown[]) {
      if (verdict !== undefined || this.headersSent) return writeHead.apply(this, [status, ...rest]);
      // Move headers given here onto the response (as on-headers does), so both heads are complete.
      const headers = (typeof rest[0] === 'string' ? rest[1] : rest[0]) as HeadersArgument;
      for (const [name, value] of headerEntries(headers)) this.setHeader(name, value);
      tags = takeTags(this);
      const behind: Head = { status, headers: this.getHeaders() };
      const reason = typeof rest[0] === 'string' ? [rest[0]] : [];
      const result = writeHead.apply(this, [status, ...reason]);
      verdict = judge({ status: this.statusCode, headers: this.getHeaders() }, behind);
      if ('notStored' in verdict) settle({ stored: false, reason: verdict.notStored });
      else if (tooLarge) settle({ stored: false, reason: 'too-large' });
      return result;
    } as typeof res.writeHead;

    res.write = function capturedWrite(this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
      collect(chunk, rest[0]);
      return write.apply(this, [chunk, ...rest]);
    } as typeof res.write;

    res.end = function capturedEnd(this: ServerResponse, ...args: unknown[]) {
      if (!ended) {
        ended = true;
        collect(args[0], args[1]);
      }
      const result = end.apply(this, args);
      // end() wrote the head if nothing had: the verdict is known now.
      if (verdict && !('notStored' in verdict)) {
        settle({ ...verdict, stored: true, body: Buffer.concat(chunks), tags });
      } else if (!verdict) settle({ stored: false, reason: 'aborted' });
      return result;
    } as typeof res.end;

    // A client gone before the render even started never emits 'close' again: nothing will end.
    if (res.destroyed) settle({ stored: false, reason: 'aborted' });
    res.once('close', () => {
      if (!ended) settle({ stored: false, reason: 'aborted' });
    });
  });
}

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (typeof chunk === 'string') {
    return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  }
  if (Buffer.isBuffer(chunk)) return chunk;
  if (ArrayBuffer.isView(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk));
}

/** `writeHead`'s headers as [name, value] pairs: an object, `[[k, v], ...]` or a flat `[k, v, k, v]`. */
function headerEntries(headers: HeadersArgument): Array<[string, string | string[] | number]> {
  if (headers === undefined || headers === null) return [];
  if (!Array.isArray(headers)) {
    return Object.entries(headers).filter(
      (e): e is [string, string | string[] | number] => e[1] !== undefined,
    );
  }
  const grouped = new Map<string, string[]>();
  const pairs = Array.isArray(headers[0])
    ? (headers as string[][]).map(([k = '', v = '']) => [k, v] as const)
    : Array.from(
        { length: headers.length / 2 },
        (_, i) => [String(headers[2 * i]), String(headers[2 * i + 1])] as const,
      );
  for (const [k, v] of pairs) grouped.set(k, [...(grouped.get(k) ?? []), v]);
  return [...grouped].map(([k, v]) => [k, v.length === 1 ? (v[0] as string) : v]);
}
