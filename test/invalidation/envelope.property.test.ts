/**
 * Property tests of the envelope's invalidation state (issue 12): every flag and tag stamp reads back as
 * written, entries only version 2 can describe are never readable as version 1 (a reader without
 * invalidation would serve them as fresh), and a tombstone is never an entry.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeEnvelope,
  type Envelope,
  encodeEnvelope,
  encodeTombstone,
  invalidatedCopy,
  isTombstone,
  stampedTags,
} from '../../src/envelope.js';
import { jsonSerializer, v8Serializer } from '../../src/serializer.js';

const wellFormed = fc.string({ unit: 'grapheme', maxLength: 20 });
const stampArb = fc.record({ tag: wellFormed.filter((t) => t.length > 0), version: wellFormed });
const envelopeArb: fc.Arbitrary<Envelope> = fc
  .record({
    value: fc.oneof(fc.constant(undefined), fc.jsonValue()),
    freshUntil: fc.double({ noNaN: true }),
    costMs: fc.double({ min: 0, noNaN: true }),
    noStale: fc.boolean(),
    invalidated: fc.boolean(),
    tags: fc.array(stampArb, { maxLength: 5 }),
  })
  .map(({ noStale, invalidated, tags, ...rest }) => ({
    ...rest,
    ...(noStale ? { noStale } : {}),
    ...(invalidated ? { invalidated } : {}),
    ...(tags.length > 0 ? { tags } : {}),
  }));

describe('envelope with invalidation state (property)', () => {
  it('reads back every field, flag and tag stamp as written', () => {
    fc.assert(
      fc.property(envelopeArb, (envelope) => {
        const bytes = encodeEnvelope(envelope, jsonSerializer);
        expect(isTombstone(bytes)).toBe(false);
        const back = decodeEnvelope(bytes, jsonSerializer);
        expect(back).toEqual(envelope);
        expect(Object.is(back.freshUntil, envelope.freshUntil)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('writes version 1 (0.1 readers) only for entries without tags and never invalidated', () => {
    fc.assert(
      fc.property(envelopeArb, (envelope) => {
        const version = encodeEnvelope(envelope, jsonSerializer)[1];
        expect(version).toBe(envelope.invalidated || envelope.tags ? 2 : 1);
      }),
    );
  });

  it('never lets two distinct stamp lists encode alike (the value after them decodes unchanged)', () => {
    fc.assert(
      fc.property(fc.array(stampArb, { maxLength: 4 }), fc.array(stampArb, { maxLength: 4 }), (a, b) => {
        const bytesOf = (tags: typeof a) =>
          encodeEnvelope(
            { value: 'v', freshUntil: 1, costMs: 0, ...(tags.length ? { tags } : {}) },
            jsonSerializer,
          );
        if (JSON.stringify(a) !== JSON.stringify(b)) expect(bytesOf(a).equals(bytesOf(b))).toBe(false);
      }),
    );
  });

  it('tells a tombstone from every entry, and refuses to decode it as one', () => {
    const tombstone = encodeTombstone();
    expect(isTombstone(tombstone)).toBe(true);
    expect(() => decodeEnvelope(tombstone, jsonSerializer)).toThrow(/tombstone/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (raw) => {
        const bytes = Buffer.from(raw);
        if (!isTombstone(bytes)) return;
        expect(() => decodeEnvelope(bytes, jsonSerializer)).toThrow();
      }),
    );
  });

  it('stores a Buffer value as its own bytes (version 3), read back byte for byte whatever the serializer', () => {
    fc.assert(
      fc.property(
        envelopeArb,
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom(jsonSerializer, v8Serializer),
        (fields, raw, serializer) => {
          const value = Buffer.from(raw);
          const envelope = { ...fields, value };
          const bytes = encodeEnvelope(envelope, serializer);
          // Readers that hand a value's bytes to a serializer (versions 1 and 2) refuse it: never misread.
          expect(bytes[1]).toBe(3);
          expect(bytes.subarray(bytes.length - value.length).equals(value)).toBe(true);
          const back = decodeEnvelope(bytes, serializer);
          expect(Buffer.isBuffer(back.value)).toBe(true);
          expect(back).toEqual(envelope);
          expect(stampedTags(bytes)).toEqual((fields.tags ?? []).map((t) => t.tag));
          // A soft purge keeps the bytes and the version.
          const purged = invalidatedCopy(bytes, 0) as Buffer;
          expect(purged[1]).toBe(3);
          expect(decodeEnvelope(purged, serializer)).toMatchObject({ value, invalidated: true });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads a held Buffer value from a copy, not from the bytes it was decoded from', () => {
    const bytes = encodeEnvelope({ value: Buffer.from('page'), freshUntil: 1, costMs: 0 }, jsonSerializer);
    const back = decodeEnvelope(bytes, jsonSerializer).value as Buffer;
    bytes.fill(0);
    expect(back.toString()).toBe('page');
  });
});
