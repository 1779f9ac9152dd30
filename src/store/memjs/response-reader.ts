/**
 * How a memjs server reads its socket, replaced on this client's servers. memjs 1.3 copies every chunk it
 * reads, with what was left unparsed, into a new zero-filled buffer (`appendToBuffer`): a 64 KB read of
 * eight pages is copied whole again, and a value larger than one read is copied once per read. Here a
 * response lying inside one chunk stays a slice of it, as memjs makes it; only a response that spans
 * reads is joined, once, when its last byte has come. Node gives every read a buffer of its own, so
 * nothing reuses that memory.
 *
 * Two guards memjs lacks: the bytes left from a socket are dropped when memjs has opened another (a
 * response cut by a broken connection must not be completed with the next connection's bytes), and a
 * frame that is no response breaks the connection (a stream out of step, never parsed on).
 *
 * It replaces `Server.responseHandler` (memjs internals, like socket-cork.ts), dispatching each response
 * as memjs does, in the shape memjs's parse gives it: test/integration/memjs-canary.test.ts fails if the
 * pinned memjs stops calling it that way.
 */
import type { Socket } from 'node:net';
import type memjs from 'memjs';

const HEADER_BYTES = 24;
const RESPONSE_MAGIC = 0x81;
/** SASL opcodes and the status of a refused authentication, which memjs answers itself. */
const SASL_LIST = 0x20;
const SASL_AUTH = 0x21;
const AUTH_ERROR = 0x20;

/** The parts of memjs's Server the reader uses. */
interface MemjsServer {
  _socket?: Socket;
  responseHandler(chunk: Buffer): void;
  respond(response: memjs.Response): void;
  saslAuth(): void;
  error(error: unknown): void;
  emit(event: string): boolean;
}

/** Bytes read and not parsed yet, from one socket. */
class Unparsed {
  socket: Socket | undefined;
  chunks: Buffer[] = [];
  bytes = 0;

  /** The first `n` bytes, contiguous (a copy only when they span chunks). */
  head(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.chunks, this.bytes).subarray(0, n);
  }

  clear(): void {
    this.chunks = [];
    this.bytes = 0;
  }
}

export function installResponseReader(client: memjs.Client): void {
  for (const server of client.servers as unknown as MemjsServer[]) {
    const unparsed = new Unparsed();
    server.responseHandler = function read(this: MemjsServer, chunk: Buffer): void {
      if (unparsed.socket !== this._socket) {
        unparsed.socket = this._socket;
        unparsed.clear();
      }
      let offset = 0;
      if (unparsed.bytes > 0) {
        // Complete the response that spans reads, if this chunk brings its last byte.
        unparsed.chunks.push(chunk);
        unparsed.bytes += chunk.length;
        if (unparsed.bytes < HEADER_BYTES) return;
        const length = frameLength(unparsed.head(HEADER_BYTES), 0);
        if (length === undefined) {
          breakStream(this, unparsed);
          return;
        }
        if (unparsed.bytes < length) return;
        const joined = Buffer.concat(unparsed.chunks, length); // this frame's bytes only, not the chunk's rest
        offset = chunk.length - (unparsed.bytes - length);
        unparsed.clear();
        if (!dispatch(this, joined)) return;
      }
      while (chunk.length - offset >= HEADER_BYTES) {
        const length = frameLength(chunk, offset);
        if (length === undefined) {
          breakStream(this, unparsed);
          return;
        }
        if (chunk.length - offset < length) break;
        if (!dispatch(this, chunk.subarray(offset, offset + length))) return;
        offset += length;
      }
      if (offset < chunk.length) {
        unparsed.chunks.push(chunk.subarray(offset));
        unparsed.bytes += chunk.length - offset;
      }
    };
  }
}

/**
 * The whole length of the response frame whose header starts at `at`; undefined when it is none (no
 * response magic, or a body shorter than its own key and extras).
 */
function frameLength(bytes: Buffer, at: number): number | undefined {
  const body = bytes.readUInt32BE(at + 8);
  if (bytes[at] !== RESPONSE_MAGIC || body < bytes.readUInt16BE(at + 2) + (bytes[at + 4] as number)) {
    return undefined;
  }
  return HEADER_BYTES + body;
}

/**
 * A response as memjs's callbacks read it (`header`, `key`, `extras`, `val`), over its frame: the header's
 * numbers are read from the frame, and only `val` is cut from it up front. memjs's own parse makes five
 * buffer views and a header object of nine fields per response, and a get reads the status and the value.
 */
class FrameResponse {
  readonly header: FrameHeader;
  readonly val: Buffer;
  readonly #frame: Buffer;

  constructor(frame: Buffer) {
    this.#frame = frame;
    this.header = new FrameHeader(frame);
    this.val = frame.subarray(HEADER_BYTES + this.header.extrasLength + this.header.keyLength);
  }

  get extras(): Buffer {
    return this.#frame.subarray(HEADER_BYTES, HEADER_BYTES + this.header.extrasLength);
  }

  get key(): Buffer {
    const from = HEADER_BYTES + this.header.extrasLength;
    return this.#frame.subarray(from, from + this.header.keyLength);
  }
}

/** memjs's response header, read from the frame's first 24 bytes. */
class FrameHeader {
  readonly #frame: Buffer;

  constructor(frame: Buffer) {
    this.#frame = frame;
  }

  get magic(): number {
    return this.#frame[0] as number;
  }
  get opcode(): number {
    return this.#frame[1] as number;
  }
  get keyLength(): number {
    return this.#frame.readUInt16BE(2);
  }
  get extrasLength(): number {
    return this.#frame[4] as number;
  }
  get dataType(): number {
    return this.#frame[5] as number;
  }
  get status(): number {
    return this.#frame.readUInt16BE(6);
  }
  get totalBodyLength(): number {
    return this.#frame.readUInt32BE(8);
  }
  get opaque(): number {
    return this.#frame.readUInt32BE(12);
  }
  get cas(): Buffer {
    return this.#frame.subarray(16, HEADER_BYTES);
  }
}

/** Hands one complete frame to memjs as its own reader would; false once the connection was broken. */
function dispatch(server: MemjsServer, frame: Buffer): boolean {
  const socket = server._socket;
  const response = new FrameResponse(frame) as unknown as memjs.Response;
  const { opcode, status } = response.header;
  if (opcode === SASL_LIST) server.saslAuth();
  else if (status === AUTH_ERROR) server.error('Memcached server authentication failed!');
  else if (opcode === SASL_AUTH) server.emit('authenticated');
  else server.respond(response);
  return server._socket === socket && socket !== undefined;
}

/** Fails every call in flight and drops the socket (memjs's own error path); the next call reconnects. */
function breakStream(server: MemjsServer, unparsed: Unparsed): void {
  unparsed.clear();
  server.error(new Error('memcached sent a frame that is not a binary response'));
}
