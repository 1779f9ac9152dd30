/**
 * Property tests of the default serializer (issue 9 item 10): every value it accepts reads back
 * identical (Object.is for numbers, same prototypes, same own keys in the same order), it refuses only
 * the kinds its TSDoc lists, plain JSON stays plain JSON text, and user data shaped like the tagged form
 * is never read as tags.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from '../src/envelope.js';
import { jsonSerializer } from '../src/serializer.js';

const anything = fc.anything({
  maxDepth: 3,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  values: [
    fc.double(),
    fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, undefined),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)) }),
    fc.constantFrom('~', '~{"value":1,"tags":[["NaN"]]}', 'value', 'tags'),
  ],
});
// User data that looks like the tagged form, and odd objects fc.anything() does not build.
const lookalike = fc.record({ value: anything, tags: fc.constant([['NaN'], ['Date', 'value']]) });
const odd = fc
  .constantFrom<() => unknown>(
    () => new URL('https://a.example/'),
    () => Buffer.from('x'),
    () => ({ [Symbol('s')]: 1 }),
    () => Object.defineProperty({}, 'hidden', { value: 1 }),
    () =>
      new (class Point {
        x = 1;
      })(),
    () => Object.assign(new Date(0), { extra: 1 }),
    () => () => 1,
  )
  .map((make) => make());
const valueArb = fc.oneof(anything, lookalike, fc.array(fc.oneof(anything, odd), { maxLength: 3 }), odd);

/** Whether the TSDoc says jsonSerializer refuses `value` (anywhere inside it). */
function refused(value: unknown): boolean {
  if (typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function') return true;
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  const ownKeys = Reflect.ownKeys(value);
  if (ownKeys.some((k) => typeof k === 'symbol')) return true;
  if (proto === Date.prototype) return ownKeys.length > 0;
  if (Array.isArray(value))
    return proto !== Array.prototype || ownKeys.length !== value.length + 1 || value.some(refused);
  if (proto !== Object.prototype && proto !== null) return true;
  return Object.keys(value).length !== ownKeys.length || Object.values(value).some(refused);
}

/** Deep identity: Object.is for primitives, same prototype, same own keys in the same order. */
function identical(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime());
  const [ka, kb] = [Reflect.ownKeys(a), Reflect.ownKeys(b)];
  const [ra, rb] = [a as Record<PropertyKey, unknown>, b as Record<PropertyKey, unknown>];
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && identical(ra[k], rb[k]));
}

function isPlainJson(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (typeof value !== 'object' || value === null)
    return typeof value === 'string' || typeof value === 'boolean' || value === null;
  if (Array.isArray(value)) return Object.keys(value).length === value.length && value.every(isPlainJson);
  return Object.getPrototypeOf(value) === Object.prototype && Object.values(value).every(isPlainJson);
}

describe('jsonSerializer (property)', () => {
  it('reads back every value it accepts identical, and refuses only what its TSDoc lists', () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        let bytes: Buffer;
        try {
          bytes = jsonSerializer.serialize(value);
        } catch (error) {
          expect(refused(value)).toBe(true);
          expect((error as Error).message).toMatch(/ at value.*v8Serializer/);
          return;
        }
        expect(refused(value)).toBe(false);
        expect(identical(jsonSerializer.deserialize(bytes), value)).toBe(true);
        // Through the envelope too (a top-level undefined takes the envelope's flag).
        const envelope = encodeEnvelope({ value, freshUntil: 1, costMs: 2 }, jsonSerializer);
        expect(identical(decodeEnvelope(envelope, jsonSerializer).value, value)).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  it('writes plain JSON data as its plain JSON text (readable anywhere, parsed without a reviver)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), lookalike), (value) => {
        fc.pre(isPlainJson(value));
        expect(jsonSerializer.serialize(value).toString('utf8')).toBe(JSON.stringify(value));
      }),
      { numRuns: 500 },
    );
  });
});
