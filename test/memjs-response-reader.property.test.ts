/**
 * The memjs response reader (src/store/memjs/response-reader.ts) against a stand-in for memjs's Server:
 * whatever way a stream of response frames is cut into reads, every response reaches `respond` once, in
 * order, with its own bytes; SASL frames go where memjs sends them; a frame without the response magic
 * breaks the connection; bytes left from a socket are never completed with another socket's.
 */
import type { Socket } from 'node:net';
import fc from 'fast-check';
import memjs from 'memjs';
import { describe, expect, it } from 'vitest';
import { installResponseReader } from '../src/store/memjs/response-reader.js';

interface Frame {
  opcode: number;
  status: number;
  opaque: number;
  extras: Buffer;
  key: Buffer;
  value: Buffer;
}

function encode(f: Frame): Buffer {
  const header = Buffer.alloc(24);
  header[0] = 0x81;
  header[1] = f.opcode;
  header.writeUInt16BE(f.key.length, 2);
  header[4] = f.extras.length;
  header.writeUInt16BE(f.status, 6);
  header.writeUInt32BE(f.extras.length + f.key.length + f.value.length, 8);
  header.writeUInt32BE(f.opaque, 12);
  return Buffer.concat([header, f.extras, f.key, f.value]);
}

/** A memjs Server as the reader sees it: what it was told, in order. */
function fakeServer(socket: object = {}) {
  const calls: string[] = [];
  const responses: memjs.Response[] = [];
  const server = {
    _socket: socket as Socket | undefined,
    respond: (r: memjs.Response) => {
      responses.push(r);
      calls.push(`respond ${r.header.opaque}`);
    },
    saslAuth: () => calls.push('saslAuth'),
    error: (e: unknown) => {
      calls.push(`error ${String(e)}`);
      server._socket = undefined;
    },
    emit: (event: string) => calls.push(`emit ${event}`) > 0,
    responseHandler: (_chunk: Buffer) => {},
  };
  const client = { servers: [server] } as unknown as memjs.Client;
  installResponseReader(client);
  return { server, calls, responses, read: (chunk: Buffer) => server.responseHandler.call(server, chunk) };
}

const HEADER_FIELDS = [
  'magic',
  'opcode',
  'keyLength',
  'extrasLength',
  'dataType',
  'status',
  'totalBodyLength',
  'opaque',
] as const;

function pick(header: memjs.Response['header']): Record<string, number> {
  return Object.fromEntries(HEADER_FIELDS.map((name) => [name, header[name]]));
}

/** Cuts `bytes` at the given points (sorted, deduplicated, inside it). */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...at, bytes.length]) {
    if (p > from) chunks.push(Buffer.from(bytes.subarray(from, p)));
    from = Math.max(from, p);
  }
  return chunks;
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const frame = fc.record({
  opcode: fc.constantFrom(0x00, 0x01, 0x02, 0x04),
  status: fc.constantFrom(0, 1, 2),
  opaque: fc.integer({ min: 0, max: 0xffffffff }),
  extras: bytes(8),
  key: bytes(20),
  value: fc.oneof(bytes(64), bytes(3000)),
});

describe('memjs response reader', () => {
  it('hands every response to respond once, in order, with its own bytes, however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(frame, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (frames, points) => {
          const { read, responses, calls } = fakeServer();
          for (const chunk of cut(Buffer.concat(frames.map(encode)), points)) read(chunk);
          expect(calls.filter((c) => !c.startsWith('respond'))).toEqual([]);
          expect(responses.map((r) => r.header.opaque)).toEqual(frames.map((f) => f.opaque));
          responses.forEach((r, i) => {
            // Every field memjs's own parse gives, with the same values.
            const own = memjs.Utils.parseMessage(encode(frames[i] as Frame));
            expect({ ...pick(r.header), cas: r.header.cas.toString('hex') }).toEqual({
              ...pick(own.header),
              cas: own.header.cas.toString('hex'),
            });
            expect([r.extras, r.key, r.val].map((b) => b.toString('hex'))).toEqual(
              [own.extras, own.key, own.val].map((b) => b.toString('hex')),
            );
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers SASL frames as memjs does: list → saslAuth, auth → authenticated, refused → error', () => {
    const { read, calls } = fakeServer();
    const sasl = (opcode: number, status: number) =>
      encode({
        opcode,
        status,
        opaque: 0,
        extras: Buffer.alloc(0),
        key: Buffer.alloc(0),
        value: Buffer.from('PLAIN'),
      });
    read(Buffer.concat([sasl(0x20, 0), sasl(0x21, 0)]));
    expect(calls).toEqual(['saslAuth', 'emit authenticated']);
    read(sasl(0x21, 0x20));
    expect(calls.at(-1)).toBe('error Memcached server authentication failed!');
  });

  it('breaks the connection on a frame without the response magic, and parses nothing after it', () => {
    const { read, calls } = fakeServer();
    const good = encode({
      opcode: 0,
      status: 0,
      opaque: 7,
      extras: Buffer.alloc(4),
      key: Buffer.alloc(0),
      value: Buffer.from('v'),
    });
    const bad = Buffer.from(good);
    bad[0] = 0x80; // a request's magic: the stream is out of step
    read(Buffer.concat([good, bad, good]));
    expect(calls).toEqual(['respond 7', 'error Error: memcached sent a frame that is not a binary response']);
  });

  it('breaks the connection on a frame whose body is shorter than its key and extras', () => {
    const { read, calls } = fakeServer();
    const frame = encode({
      opcode: 0,
      status: 0,
      opaque: 9,
      extras: Buffer.alloc(4),
      key: Buffer.from('key'),
      value: Buffer.alloc(0),
    });
    frame.writeUInt32BE(2, 8); // the body claims 2 bytes, but its extras alone take 4
    read(frame);
    expect(calls).toEqual(['error Error: memcached sent a frame that is not a binary response']);
  });

  it('drops the bytes left from a socket once memjs has another', () => {
    const { server, read, responses } = fakeServer();
    const one = encode({
      opcode: 0,
      status: 0,
      opaque: 1,
      extras: Buffer.alloc(4),
      key: Buffer.alloc(0),
      value: Buffer.alloc(100, 1),
    });
    const two = encode({
      opcode: 0,
      status: 0,
      opaque: 2,
      extras: Buffer.alloc(4),
      key: Buffer.alloc(0),
      value: Buffer.alloc(100, 2),
    });
    read(one.subarray(0, 60)); // the connection breaks here
    server._socket = {} as Socket; // memjs reconnected
    read(two);
    expect(responses.map((r) => [r.header.opaque, r.val.equals(Buffer.alloc(100, 2))])).toEqual([[2, true]]);
  });
});
