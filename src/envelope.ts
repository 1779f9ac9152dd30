/**
 * What is stored under a key: a 19-byte header (magic, version, flags, fresh-until, loader cost) followed
 * by the serialized value. The header is binary so the hit path decodes it without parsing text.
 */
import type { Serializer } from './serializer.js';

const MAGIC = 0x53; // 'S'
// Still 1: jsonSerializer's plain bodies are 0.1's, and its tagged ones start with `~`, which 0.1 cannot
// parse, so a 0.1 process reads them as a miss instead of misreading them.
const VERSION = 1;
const HEADER_BYTES = 19;
const FLAG_UNDEFINED = 1;
const FLAG_NO_STALE = 2;

export interface Envelope {
  value: unknown;
  /** Epoch ms until which the value is fresh (the writer's clock). */
  freshUntil: number;
  /** How long the loader took, in ms: XFetch uses it, and warmup ranks by it. */
  costMs: number;
  /** Never served past `freshUntil` (no grace, no stale-if-error) nor refreshed early: the loader's `noStale()`. */
  noStale?: boolean;
}

/** Encodes an envelope. Serializer errors propagate to the caller. */
export function encodeEnvelope(envelope: Envelope, serializer: Serializer): Buffer {
  const undefinedValue = envelope.value === undefined;
  const body = undefinedValue ? Buffer.alloc(0) : serializer.serialize(envelope.value);
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out[0] = MAGIC;
  out[1] = VERSION;
  out[2] = (undefinedValue ? FLAG_UNDEFINED : 0) | (envelope.noStale ? FLAG_NO_STALE : 0);
  out.writeDoubleLE(envelope.freshUntil, 3);
  out.writeDoubleLE(envelope.costMs, 11);
  body.copy(out, HEADER_BYTES);
  return out;
}

/** Decodes an envelope; throws on bytes that are not one (written by something else). */
export function decodeEnvelope(bytes: Buffer, serializer: Serializer): Envelope {
  if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC || bytes[1] !== VERSION) {
    throw new Error('not a stampede-guard envelope (other writer or version)');
  }
  const freshUntil = bytes.readDoubleLE(3);
  const costMs = bytes.readDoubleLE(11);
  const flags = bytes[2] ?? 0;
  const value = flags & FLAG_UNDEFINED ? undefined : serializer.deserialize(bytes.subarray(HEADER_BYTES));
  return flags & FLAG_NO_STALE ? { value, freshUntil, costMs, noStale: true } : { value, freshUntil, costMs };
}
