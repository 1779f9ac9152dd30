/**
 * What is stored under a key: a 19-byte header (magic, version, flags, fresh-until, loader cost), the
 * entry's tag stamps when it has any, then the serialized value. The header is binary so the hit path
 * decodes it without parsing text.
 *
 *   version 1  header | value                       (an entry without tags, never invalidated: 0.1's layout)
 *   version 2  header | stamps | value              (tagged, invalidated, or a tombstone)
 *   version 3  header | stamps | bytes              (a Buffer value: its bytes as they are, no serializer)
 *   stamps     u16 count, then per tag: u16 length + UTF-8 tag, u16 length + UTF-8 tag version
 *
 * Entries that only version 2 can describe are written as version 2, so a reader without invalidation
 * (0.1, or this library before tags) refuses them (a miss) instead of serving an invalidated value as fresh.
 * Likewise a Buffer value is version 3: a reader that would hand its bytes to a serializer refuses it.
 */
import type { Serializer } from './serializer.js';

const MAGIC = 0x53; // 'S'
// Version 1: jsonSerializer's plain bodies are 0.1's, and its tagged ones start with `~`, which 0.1 cannot
// parse, so a 0.1 process reads them as a miss instead of misreading them.
const PLAIN_VERSION = 1;
const STAMPED_VERSION = 2;
const RAW_VERSION = 3;
const HEADER_BYTES = 19;
const FLAG_UNDEFINED = 1;
const FLAG_NO_STALE = 2;
/** Soft-purged (`invalidate()`): never fresh again, servable stale from its `freshUntil`. */
const FLAG_INVALIDATED = 4;
/** A hard purge's marker (`delete()`): reads as absent, but a load that saw the key before cannot store. */
const FLAG_TOMBSTONE = 8;
const MAX_STAMPS = 0xffff;
const MAX_STAMP_TEXT_BYTES = 0xffff;

/** A tag the entry carries, with the version the tag had when the entry's load started. */
export interface TagStamp {
  tag: string;
  version: string;
}

export interface Envelope {
  value: unknown;
  /** Epoch ms until which the value is fresh (the writer's clock). */
  freshUntil: number;
  /** How long the loader took, in ms: XFetch uses it, and warmup ranks by it. */
  costMs: number;
  /** Never served past `freshUntil` (no grace, no stale-if-error) nor refreshed early: the loader's `noStale()`. */
  noStale?: boolean;
  /** Soft-purged: never fresh, whatever `freshUntil` says (servable stale from `freshUntil`). */
  invalidated?: boolean;
  /** The entry's tags and their versions at its load: fresh only while every tag still has that version. */
  tags?: readonly TagStamp[];
}

/**
 * Encodes an envelope. Serializer errors propagate to the caller. `body`: the value already serialized
 * (`serializeValue`), so a caller can surface a serializer error before it awaits anything.
 */
export function encodeEnvelope(
  envelope: Envelope,
  serializer: Serializer,
  body = serializeValue(envelope.value, serializer),
): Buffer {
  const undefinedValue = envelope.value === undefined;
  const flags =
    (undefinedValue ? FLAG_UNDEFINED : 0) |
    (envelope.noStale ? FLAG_NO_STALE : 0) |
    (envelope.invalidated ? FLAG_INVALIDATED : 0);
  const raw = Buffer.isBuffer(envelope.value);
  return withHeader(flags, envelope.freshUntil, envelope.costMs, envelope.tags, body, raw);
}

/**
 * The bytes of a value as an envelope carries them: none for `undefined` (a flag marks it), a Buffer's
 * own bytes (whatever the serializer: JSON cannot carry bytes, and a page body should not be inflated
 * by base64), else the serializer's.
 */
export function serializeValue(value: unknown, serializer: Serializer): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  return Buffer.isBuffer(value) ? value : serializer.serialize(value);
}

/**
 * The marker `delete()` leaves: it reads as absent (`isTombstone`), yet its presence changes the item's
 * CAS, so a load that saw the key before it cannot store over it.
 */
export function encodeTombstone(): Buffer {
  return withHeader(FLAG_TOMBSTONE | FLAG_UNDEFINED, 0, 0, undefined, Buffer.alloc(0));
}

/** Whether `bytes` are a `delete()` marker: an absent entry to readers. One byte compared on the hit path. */
export function isTombstone(bytes: Buffer): boolean {
  return bytes.length >= HEADER_BYTES && bytes[0] === MAGIC && ((bytes[2] ?? 0) & FLAG_TOMBSTONE) !== 0;
}

/**
 * Decodes an envelope. Throws on bytes that are not one (written by something else, or by a newer
 * version) and on a tombstone (check `isTombstone` first).
 */
export function decodeEnvelope(bytes: Buffer, serializer: Serializer): Envelope {
  const version = bytes[1];
  if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC || !isKnownVersion(version)) {
    throw new Error('not a stampede-guard envelope (other writer or version)');
  }
  const flags = bytes[2] ?? 0;
  if (flags & FLAG_TOMBSTONE) throw new Error('a tombstone, not an entry');
  const freshUntil = bytes.readDoubleLE(3);
  const costMs = bytes.readDoubleLE(11);
  let bodyStart = HEADER_BYTES;
  let tags: TagStamp[] | undefined;
  if (version !== PLAIN_VERSION) ({ tags, end: bodyStart } = readStamps(bytes, HEADER_BYTES));
  const value =
    flags & FLAG_UNDEFINED
      ? undefined
      : version === RAW_VERSION
        ? // A copy: the answer's bytes may be a slice of a larger socket buffer, which a held value would keep.
          Buffer.from(bytes.subarray(bodyStart))
        : serializer.deserialize(bytes.subarray(bodyStart));
  const envelope: Envelope = { value, freshUntil, costMs };
  if (flags & FLAG_NO_STALE) envelope.noStale = true;
  if (flags & FLAG_INVALIDATED) envelope.invalidated = true;
  if (tags && tags.length > 0) envelope.tags = tags;
  return envelope;
}

/**
 * A copy of stored entry bytes marked invalidated (soft purge), fresh until at most `nowMs`, value bytes
 * untouched (no serializer round trip); null for bytes that are no entry (a tombstone, another writer's).
 */
export function invalidatedCopy(bytes: Buffer, nowMs: number): Buffer | null {
  const version = bytes[1];
  if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC || !isKnownVersion(version)) return null;
  const flags = bytes[2] ?? 0;
  if (flags & FLAG_TOMBSTONE) return null;
  // Version 1 has no stamps section: an empty one goes in front of the value.
  const out =
    version === PLAIN_VERSION
      ? Buffer.concat([bytes.subarray(0, HEADER_BYTES), u16(0), bytes.subarray(HEADER_BYTES)])
      : Buffer.from(bytes);
  out[1] = version === RAW_VERSION ? RAW_VERSION : STAMPED_VERSION;
  out[2] = flags | FLAG_INVALIDATED;
  out.writeDoubleLE(Math.min(bytes.readDoubleLE(3), nowMs), 3);
  return out;
}

/** The tags an entry carries, read without decoding its value; none for anything else (a tombstone, other bytes). */
export function stampedTags(bytes: Buffer): string[] {
  const stamped = bytes[1] === STAMPED_VERSION || bytes[1] === RAW_VERSION;
  if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC || !stamped) return [];
  try {
    return readStamps(bytes, HEADER_BYTES).tags.map((stamp) => stamp.tag);
  } catch {
    return []; // not ours after all: nothing to read
  }
}

function withHeader(
  flags: number,
  freshUntil: number,
  costMs: number,
  tags: readonly TagStamp[] | undefined,
  body: Buffer,
  raw = false,
): Buffer {
  const stamped =
    raw || (tags !== undefined && tags.length > 0) || (flags & ~(FLAG_UNDEFINED | FLAG_NO_STALE)) !== 0;
  const stamps = stamped ? writeStamps(tags ?? []) : undefined;
  const out = Buffer.allocUnsafe(HEADER_BYTES + (stamps?.length ?? 0) + body.length);
  out[0] = MAGIC;
  out[1] = raw ? RAW_VERSION : stamped ? STAMPED_VERSION : PLAIN_VERSION;
  out[2] = flags;
  out.writeDoubleLE(freshUntil, 3);
  out.writeDoubleLE(costMs, 11);
  stamps?.copy(out, HEADER_BYTES);
  body.copy(out, HEADER_BYTES + (stamps?.length ?? 0));
  return out;
}

function writeStamps(tags: readonly TagStamp[]): Buffer {
  if (tags.length > MAX_STAMPS) throw new RangeError(`an entry carries at most ${MAX_STAMPS} tags`);
  const parts: Buffer[] = [u16(tags.length)];
  for (const { tag, version } of tags) parts.push(...lengthPrefixed(tag), ...lengthPrefixed(version));
  return Buffer.concat(parts);
}

function lengthPrefixed(text: string): [Buffer, Buffer] {
  // Tags are well-formed strings (options.ts), so UTF-8 reads back the same text.
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > MAX_STAMP_TEXT_BYTES) throw new RangeError('a tag or tag version is too long');
  return [u16(bytes.length), bytes];
}

function readStamps(bytes: Buffer, start: number): { tags: TagStamp[]; end: number } {
  const count = bytes.readUInt16LE(start);
  const tags: TagStamp[] = new Array(count);
  let at = start + 2;
  for (let i = 0; i < count; i++) {
    const tagEnd = textEnd(bytes, at);
    const versionEnd = textEnd(bytes, tagEnd);
    tags[i] = {
      tag: bytes.toString('utf8', at + 2, tagEnd),
      version: bytes.toString('utf8', tagEnd + 2, versionEnd),
    };
    at = versionEnd;
  }
  return { tags, end: at };
}

/** Where the length-prefixed text at `at` ends. */
function textEnd(bytes: Buffer, at: number): number {
  const end = at + 2 + bytes.readUInt16LE(at);
  if (end > bytes.length) throw new Error('truncated tag stamps');
  return end;
}

function isKnownVersion(version: number | undefined): boolean {
  return version === PLAIN_VERSION || version === STAMPED_VERSION || version === RAW_VERSION;
}

function u16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16LE(n, 0);
  return b;
}
