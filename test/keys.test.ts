import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from '../src/envelope.js';
import { argumentsKey, lockKeyOf, MAX_KEY_BYTES, toStoreKey } from '../src/keys.js';
import { jsonSerializer, v8Serializer } from '../src/serializer.js';

describe('toStoreKey', () => {
  it('keeps short printable keys readable, under the namespace', () => {
    expect(toStoreKey('app', 'user:42')).toBe('app:user:42');
    expect(toStoreKey('', 'user:42')).toBe('user:42');
  });

  it.each([
    ['over 245 bytes', 'k'.repeat(300)],
    ['with a space', 'user 42'],
    ['with a control character', 'user\n42'],
    ['non-ASCII', 'ユーザー:42'],
    ['with the hash marker', 'a#b'],
  ])('hashes a key %s into a safe one', (_, key) => {
    const storeKey = toStoreKey('app', key);
    expect(storeKey).toMatch(/^app:[\x21-\x7e]+$/);
    expect(Buffer.byteLength(lockKeyOf(storeKey))).toBeLessThanOrEqual(250);
    expect(storeKey.length).toBeLessThanOrEqual(MAX_KEY_BYTES);
    expect(toStoreKey('app', key)).toBe(storeKey); // stable
    expect(toStoreKey('app', `${key}x`)).not.toBe(storeKey);
  });

  it('never lets a plain key collide with a hashed one', () => {
    const hashed = toStoreKey('', 'a b');
    expect(toStoreKey('', hashed)).not.toBe(hashed);
  });

  it('rejects empty and non-string keys with a TypeError', () => {
    expect(() => toStoreKey('app', '')).toThrow(TypeError);
    expect(() => toStoreKey('app', 42 as never)).toThrow(/`key`/);
  });
});

describe('argumentsKey', () => {
  it('is stable across object key order', () => {
    expect(argumentsKey([{ a: 1, b: [2, { d: 4, c: 3 }] }])).toBe(
      argumentsKey([{ b: [2, { c: 3, d: 4 }], a: 1 }]),
    );
    expect(argumentsKey([1, 'x'])).not.toBe(argumentsKey(['1', 'x']));
    expect(argumentsKey([])).toBe('');
  });

  it('rejects arguments JSON cannot tell apart', () => {
    expect(() => argumentsKey([() => 1])).toThrow(TypeError);
  });

  it('never merges arguments whose state JSON does not see', () => {
    // Non-finite numbers are `null` in JSON; URL keeps its state in getters (JSON uses its toJSON()).
    expect(argumentsKey([Number.NaN])).not.toBe(argumentsKey([null]));
    expect(argumentsKey([Number.POSITIVE_INFINITY])).not.toBe(argumentsKey([Number.NEGATIVE_INFINITY]));
    expect(argumentsKey([new URL('https://a.example/1')])).not.toBe(
      argumentsKey([new URL('https://a.example/2')]),
    );
    expect(argumentsKey([new URL('https://a.example/1')])).toBe(argumentsKey(['https://a.example/1']));
    // Collections and objects whose state is invisible to JSON are refused, not keyed as `{}`.
    for (const opaque of [new Set([1]), new Map([[1, 2]]), /x/, new Error('e'), new (class {})()]) {
      expect(() => argumentsKey([opaque])).toThrow(/`key` option/);
    }
    // Plain objects, null-prototype objects and class instances with fields still work.
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    expect(argumentsKey([new Point(1, 2)])).toBe(argumentsKey([{ y: 2, x: 1 }]));
    expect(argumentsKey([Object.assign(Object.create(null), { a: 1 })])).toBe(argumentsKey([{ a: 1 }]));
    expect(argumentsKey([{}])).toBe('[{}]');
    expect(argumentsKey([new Date(0)])).toBe('["1970-01-01T00:00:00.000Z"]');
  });
});

describe('envelope', () => {
  it('round-trips value, freshness and cost', () => {
    const bytes = encodeEnvelope(
      { value: { a: [1, 'x'] }, freshUntil: 1.5e12, costMs: 12.5 },
      jsonSerializer,
    );
    expect(decodeEnvelope(bytes, jsonSerializer)).toEqual({
      value: { a: [1, 'x'] },
      freshUntil: 1.5e12,
      costMs: 12.5,
    });
  });

  it('keeps undefined and, with v8, Dates and Maps', () => {
    const u = decodeEnvelope(
      encodeEnvelope({ value: undefined, freshUntil: 1, costMs: 0 }, jsonSerializer),
      jsonSerializer,
    );
    expect(u.value).toBeUndefined();
    const value = { at: new Date(0), m: new Map([[1, 2n]]) };
    const v = decodeEnvelope(encodeEnvelope({ value, freshUntil: 1, costMs: 0 }, v8Serializer), v8Serializer);
    expect(v.value).toEqual(value);
  });

  it('refuses bytes that are not an envelope', () => {
    expect(() => decodeEnvelope(Buffer.from('{"plain":"json from another writer"}'), jsonSerializer)).toThrow(
      /envelope/,
    );
  });

  it('refuses values JSON cannot represent', () => {
    expect(() => encodeEnvelope({ value: 10n, freshUntil: 1, costMs: 0 }, jsonSerializer)).toThrow(/BigInt/);
    expect(() => encodeEnvelope({ value: () => 1, freshUntil: 1, costMs: 0 }, jsonSerializer)).toThrow(
      /function/,
    );
  });
});
