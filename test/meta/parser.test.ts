/** The meta response parser: the same frames however the bytes are cut into reads; garbage is an error. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MetaProtocolError, ResponseParser } from '../../src/store/meta/parser.js';

type Frame = [string, string | null];

function parse(reads: Buffer[]): Frame[] {
  const frames: Frame[] = [];
  const parser = new ResponseParser((line, value) => frames.push([line, value?.toString('latin1') ?? null]));
  for (const read of reads) parser.feed(read);
  return frames;
}

function encode(frames: Frame[]): Buffer {
  return Buffer.from(
    frames.map(([line, value]) => (value === null ? `${line}\r\n` : `${line}\r\n${value}\r\n`)).join(''),
    'latin1',
  );
}

/** Cuts `bytes` at the given offsets (sorted, deduplicated by the caller's arbitrary). */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const reads: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    reads.push(bytes.subarray(from, point));
    from = point;
  }
  reads.push(bytes.subarray(from));
  return reads;
}

const frame: fc.Arbitrary<Frame> = fc.oneof(
  fc.constantFrom<Frame>(
    ['EN O1', null],
    ['HD O2 c77', null],
    ['NF', null],
    ['STAT pid 42', null],
    ['END', null],
  ),
  // Values with any byte, CR and LF included.
  fc.string({ unit: 'binary', maxLength: 300 }).map((text): Frame => {
    const latin1 = Buffer.from(text, 'utf8').toString('latin1');
    return [`VA ${latin1.length} O9 c3`, latin1];
  }),
);

describe('ResponseParser', () => {
  it('yields the same frames however the stream is cut into reads', () => {
    fc.assert(
      fc.property(
        fc.array(frame, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (frames, offsets) => {
          expect(parse(cut(encode(frames), offsets))).toEqual(frames);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads a value delivered one byte per read', () => {
    const frames: Frame[] = [
      ['VA 5 O1', 'a\r\nb\n'],
      ['EN O2', null],
    ];
    const bytes = encode(frames);
    expect(parse([...bytes].map((b) => Buffer.from([b])))).toEqual(frames);
  });

  it('keeps a value that arrived whole in one read without copying it', () => {
    const read = Buffer.from('VA 3 O1\r\nabc\r\n');
    let value: Buffer | null = null;
    new ResponseParser((_, v) => {
      value = v;
    }).feed(read);
    expect((value as Buffer | null)?.buffer).toBe(read.buffer);
  });

  it.each([
    ['a line ended by LF alone', 'EN\n'],
    ['an empty line', '\r\n'],
    ['a value not followed by CRLF', 'VA 2 O1\r\nabc\r\n'],
    ['a malformed value line', 'VA x O1\r\n'],
    ['a line longer than any answer', 'H'.repeat(5000)],
  ])('throws MetaProtocolError on %s', (_, bytes) => {
    expect(() => parse([Buffer.from(bytes, 'latin1')])).toThrow(MetaProtocolError);
  });
});
