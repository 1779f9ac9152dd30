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
  isTombstone,
} from '../../src/envelope.js';
import { jsonSerializer } from '../../src/serializer.js';

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
});
