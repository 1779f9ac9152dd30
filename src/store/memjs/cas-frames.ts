/**
 * The binary protocol's compare-and-swap, which memjs has no API for: every binary request and response
 * carries a 64-bit CAS in its header, so we build the request frames ourselves and send them with memjs's
 * public `Client.perform()`, which matches the answer by its opaque (memjs's sequence number). memcached
 * keeps one CAS per item whatever the protocol: a CAS read here is the one `mg ... c` returns, and
 * `ms ... C<cas>` accepts it. The plain get goes the same way, for a leaner frame than memjs builds.
 */
import type memjs from 'memjs';
import type { CasDeleteOutcome, CasMismatch, CasToken, CasValue } from '../cas.js';

/** Request opcodes (memcached's protocol_binary.h). */
const Opcode = { Get: 0x00, Set: 0x01, Add: 0x02, Delete: 0x04 } as const;

/** Response statuses. */
const Status = { Ok: 0x00, KeyNotFound: 0x01, KeyExists: 0x02 } as const;

/** Status names worded as memcached's text (and memjs) word them: `memjs/errors.ts` reads these. */
const STATUS_TEXT: Readonly<Record<number, string>> = {
  3: 'Value too large',
  4: 'Invalid arguments',
  5: 'Item not stored',
  6: 'Incr/Decr on non-numeric value',
  129: 'Unknown command',
  130: 'Out of memory',
};

const HEADER_BYTES = 24;

/** One request frame: header, extras, key, value; `cas` 0 means "no compare". */
export function requestFrame(
  opcode: number,
  opaque: number,
  key: string,
  extras: Buffer | null,
  value: Buffer | null,
  cas: CasToken,
): Buffer {
  const keyBytes = Buffer.byteLength(key);
  const extrasBytes = extras?.length ?? 0;
  const valueBytes = value?.length ?? 0;
  const frame = Buffer.allocUnsafe(HEADER_BYTES + extrasBytes + keyBytes + valueBytes);
  frame.writeUInt8(0x80, 0); // request magic
  frame.writeUInt8(opcode, 1);
  frame.writeUInt16BE(keyBytes, 2);
  frame.writeUInt8(extrasBytes, 4);
  frame.writeUInt8(0, 5); // data type
  frame.writeUInt16BE(0, 6); // vbucket
  frame.writeUInt32BE(extrasBytes + keyBytes + valueBytes, 8);
  frame.writeUInt32BE(opaque >>> 0, 12);
  frame.writeBigUInt64BE(cas, 16);
  extras?.copy(frame, HEADER_BYTES);
  frame.write(key, HEADER_BYTES + extrasBytes, 'utf8');
  value?.copy(frame, HEADER_BYTES + extrasBytes + keyBytes);
  return frame;
}

/** A storage command's extras: flags 0 (as memjs and the meta client store) and the expiry. */
function storageExtras(exptime: number): Buffer {
  const extras = Buffer.alloc(8);
  extras.writeUInt32BE(exptime >>> 0, 4);
  return extras;
}

/** A failure status as an Error worded for `fromMemjsError`. */
function statusError(command: string, status: number): Error {
  return new Error(`MemJS ${command}: ${STATUS_TEXT[status] ?? `status 0x${status.toString(16)}`}`);
}

function casOf(response: memjs.Response): CasToken {
  return response.header.cas.readBigUInt64BE(0);
}

/** How to send one CAS call over a memjs client and read its answer. */
export interface CasCall<T> {
  readonly frame: Buffer;
  /** The answer, or throws an Error for a failure status. */
  read(response: memjs.Response): T;
}

export const casCalls = {
  /**
   * A plain get, not a CAS call: memjs's own `get` builds its frame from six buffers (zero-filled, and a
   * `Buffer.from('')` per empty part); this one is a single allocation, on every hit.
   */
  plainGet: (opaque: number, key: string): CasCall<Buffer | null> => ({
    frame: requestFrame(Opcode.Get, opaque, key, null, null, 0n),
    read: (response) => {
      const { status } = response.header;
      if (status === Status.Ok) return response.val;
      if (status === Status.KeyNotFound) return null;
      throw statusError('GET', status);
    },
  }),

  get: (opaque: number, key: string): CasCall<CasValue | null> => ({
    frame: requestFrame(Opcode.Get, opaque, key, null, null, 0n),
    read: (response) => {
      const { status } = response.header;
      if (status === Status.Ok) return { value: response.val, cas: casOf(response) };
      if (status === Status.KeyNotFound) return null;
      throw statusError('GET', status);
    },
  }),

  add: (opaque: number, key: string, value: Buffer, exptime: number): CasCall<CasToken | null> => ({
    frame: requestFrame(Opcode.Add, opaque, key, storageExtras(exptime), value, 0n),
    read: (response) => {
      const { status } = response.header;
      if (status === Status.Ok) return casOf(response);
      if (status === Status.KeyExists) return null;
      throw statusError('ADD', status);
    },
  }),

  setIfCas: (
    opaque: number,
    key: string,
    value: Buffer,
    exptime: number,
    cas: CasToken,
  ): CasCall<CasToken | CasMismatch> => ({
    frame: requestFrame(Opcode.Set, opaque, key, storageExtras(exptime), value, cas),
    read: (response) => {
      const { status } = response.header;
      if (status === Status.Ok) return casOf(response);
      if (status === Status.KeyExists) return 'changed';
      if (status === Status.KeyNotFound) return 'missing';
      throw statusError('SET', status);
    },
  }),

  deleteIfCas: (opaque: number, key: string, cas: CasToken): CasCall<CasDeleteOutcome> => ({
    frame: requestFrame(Opcode.Delete, opaque, key, null, null, cas),
    read: (response) => {
      const { status } = response.header;
      if (status === Status.Ok) return 'deleted';
      if (status === Status.KeyExists) return 'changed';
      if (status === Status.KeyNotFound) return 'missing';
      throw statusError('DELETE', status);
    },
  }),
};
