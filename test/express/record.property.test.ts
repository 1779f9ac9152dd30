/**
 * Property tests of the page record (src/http/record.ts): a page reads back exactly as it was stored
 * (status, headers in order, body byte for byte, render time), through the cache's envelope and either
 * serializer; pages stored by earlier versions (JSON, base64 body) read the same; bytes that are not a
 * whole record never read as a page; a value read twice is decoded once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from '../../src/envelope.js';
import { encodePage, isPassMarker, readRecord, type StoredResponse } from '../../src/http/record.js';
import { jsonSerializer, v8Serializer } from '../../src/serializer.js';

const text = fc.string({ unit: 'grapheme', maxLength: 30 });
const pageArb: fc.Arbitrary<StoredResponse> = fc.record({
  status: fc.integer({ min: 100, max: 599 }),
  headers: fc.array(fc.tuple(text, fc.oneof(text, fc.array(text, { maxLength: 3 }))), { maxLength: 6 }),
  body: fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes)),
  storedAt: fc.integer({ min: 0, max: 2 ** 45 }),
});

describe('page records (property)', () => {
  it('read back exactly as stored, through the envelope and either serializer', () => {
    fc.assert(
      fc.property(pageArb, fc.constantFrom(jsonSerializer, v8Serializer), (page, serializer) => {
        const stored = encodeEnvelope({ value: encodePage(page), freshUntil: 1, costMs: 0 }, serializer);
        const back = readRecord(decodeEnvelope(stored, serializer).value);
        expect(back).toEqual(page);
        expect((back as StoredResponse).body.equals(page.body)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('reads pages stored by earlier versions (JSON with a base64 body) as the same page', () => {
    fc.assert(
      fc.property(pageArb, (page) => {
        const old = { v: 1, ...page, body: page.body.toString('base64') };
        const back = decodeEnvelope(
          encodeEnvelope({ value: old, freshUntil: 1, costMs: 0 }, jsonSerializer),
          jsonSerializer,
        ).value;
        expect(readRecord(back)).toEqual(page);
      }),
      { numRuns: 200 },
    );
  });

  it('never reads a cut or altered head as a page, and nothing else as a record', () => {
    fc.assert(
      fc.property(pageArb, fc.nat(), (page, cut) => {
        const bytes = encodePage(page);
        const headEnd = 8 + bytes.readUInt32BE(4);
        // Cut inside the magic, the length or the head: not a record.
        expect(readRecord(bytes.subarray(0, cut % headEnd))).toBeUndefined();
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const record = readRecord(value);
        if (record === undefined) return;
        // Only objects shaped like a marker or an old page are records.
        expect(isPassMarker(record) || (value as { v?: unknown }).v === 1).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a value once however often it is read (the memory tier hands out the same one)', () => {
    const value = encodePage({
      status: 200,
      headers: [['etag', '"a"']],
      body: Buffer.from('x'),
      storedAt: 1,
    });
    expect(readRecord(value)).toBe(readRecord(value));
    expect(readRecord(Buffer.from(value))).not.toBe(readRecord(value));
    expect(readRecord(Buffer.from(value))).toEqual(readRecord(value));
  });
});
