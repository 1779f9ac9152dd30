import { describe, expect, it } from 'vitest';
import { argumentsKey } from '../src/arguments-key.js';
import { decodeEnvelope, encodeEnvelope } from '../src/envelope.js';
import { isValidNamespace, lockKeyOf, MAX_KEY_BYTES, toStoreKey, wtf8 } from '../src/keys.js';
import { jsonSerializer, v8Serializer } from '../src/serializer.js';

describe('toStoreKey', () => {
  it('keeps short printable keys readable, under the namespace', () => {
    expect(toStoreKey('app', 'user:42')).toBe('app:user:42');
    expect(toStoreKey('', 'user42')).toBe('user42');
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

  it('keeps the 0.1 bytes of namespaced keys, plain and hashed (a warm cache survives the upgrade)', () => {
    expect(toStoreKey('app', 'user:42')).toBe('app:user:42');
    expect(toStoreKey('', 'home')).toBe('home');
    // 0.1 hashed `app:a b` as SHA-256 of the UTF-8 of the plain form.
    expect(toStoreKey('app', 'a b')).toBe('app:a_b#9YqpJzomyxEuT8pCge3QYFT2JLmp_xuYwFVzP7sBXbM');
  });

  it('issue 9 item 2: namespaces never collide, plain or hashed', () => {
    // Namespaces cannot hold `:`, and the empty namespace marks keys that could read as namespaced.
    expect(isValidNamespace('a:b')).toBe(false);
    expect(toStoreKey('', 'a:c')).not.toBe(toStoreKey('a', 'c'));
    expect(toStoreKey('', 'a:c')).toBe(':a:c');
    expect(toStoreKey('', 'a:c d')).not.toBe(toStoreKey('a', 'c d'));
    expect(toStoreKey('', 'a:c d')).toMatch(/^:a:c_d#/);
  });

  it('issue 9 item 3: no user key or namespace reaches the lock key space', () => {
    expect(toStoreKey('', 'safe-k1')).not.toBe(lockKeyOf(toStoreKey('', 'k1')));
    expect(toStoreKey('', 'safe-k1 x')).not.toMatch(/^safe-/);
    expect(isValidNamespace('safe-app')).toBe(false);
    expect(isValidNamespace('safe')).toBe(true);
    expect(isValidNamespace('')).toBe(true);
  });

  it('issue 9 item 4: lone surrogates keep distinct hashed keys', () => {
    const keys = ['id:\ud800', 'id:\udbff', 'id:\udfff', 'id:\ufffd'].map((k) => toStoreKey('', k));
    expect(new Set(keys).size).toBe(4);
    expect(
      new Set(['\ud800', '\udbff', '\udfff', '\ufffd', '\ud800\udc00'].map((k) => wtf8(k).toString('hex')))
        .size,
    ).toBe(5);
    expect(wtf8('a\u{1f600}é')).toEqual(Buffer.from('a\u{1f600}é', 'utf8'));
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
    expect(argumentsKey([Number.NaN])).not.toBe(argumentsKey([null]));
    expect(argumentsKey([Number.POSITIVE_INFINITY])).not.toBe(argumentsKey([Number.NEGATIVE_INFINITY]));
    expect(argumentsKey([new URL('https://a.example/1')])).not.toBe(
      argumentsKey([new URL('https://a.example/2')]),
    );
    // A toJSON() object is its class and its toJSON(): not the bare string.
    expect(argumentsKey([new URL('https://a.example/1')])).toBe('[URL("https://a.example/1")]');
    expect(argumentsKey([new Date(0)])).toBe('[Date("1970-01-01T00:00:00.000Z")]');
    // Collections and objects whose state is invisible to JSON are refused, not keyed as `{}`.
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    for (const opaque of [
      new Set([1]),
      new Map([[1, 2]]),
      /x/,
      new Error('e'),
      new (class {})(),
      new Point(1, 2),
    ]) {
      expect(() => argumentsKey([opaque])).toThrow(/`key` option/);
    }
    // Plain objects in any key order, null-prototype objects, bigints still work.
    expect(argumentsKey([Object.assign(Object.create(null), { a: 1 })])).toBe(argumentsKey([{ a: 1 }]));
    expect(argumentsKey([{}])).toBe('[{}]');
    expect(argumentsKey([10n, -1n])).toBe('[10n,-1n]');
  });

  it('issue 9 item 5: keys apart what 0.1 merged, or refuses it naming the argument', () => {
    const distinct: [unknown, unknown][] = [
      [-0, 0],
      [{ a: undefined }, {}],
      [new Int8Array([1, 2]), new Uint8Array([1, 2])],
      [new Uint8Array([1, 2]), { 0: 1, 1: 2 }],
      [new Float64Array([-0]), new Float64Array([0])],
      [Buffer.from([1]), new Uint8Array([1])],
      [new Date(0), '1970-01-01T00:00:00.000Z'],
      [[undefined], [null]],
    ];
    for (const [a, b] of distinct) expect(argumentsKey([a])).not.toBe(argumentsKey([b]));
    class Secret {
      #value: number;
      constructor(value: number) {
        this.#value = value;
      }
      get value(): number {
        return this.#value;
      }
    }
    const refused: [unknown, RegExp][] = [
      [new String('x'), /String object/],
      [new Number(1), /Number object/],
      [{ [Symbol('s')]: 1 }, /symbol-keyed/],
      [new Secret(1), /Secret object/],
      [new Array(3), /sparse/],
      [Symbol('s'), /symbol/],
      [Object.defineProperty({}, 'hidden', { value: 1 }), /non-enumerable/],
    ];
    for (const [value, reason] of refused) {
      expect(() => argumentsKey(['ok', { nested: value }])).toThrow(reason);
      expect(() => argumentsKey(['ok', { nested: value }])).toThrow('`cached() argument 1.nested`');
    }
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => argumentsKey([circular])).toThrow(/circular/);
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

  it('reads 0.1 entries as 0.1 did, and 0.1 (a bare JSON.parse) refuses tagged ones instead of misreading them', () => {
    const legacy = { v: 1, a: [1, 'x'], value: 2, tags: [['NaN']] };
    const old = Buffer.concat([
      encodeEnvelope({ value: 0, freshUntil: 5, costMs: 1 }, jsonSerializer).subarray(0, 19),
      Buffer.from(JSON.stringify(legacy)),
    ]);
    expect(decodeEnvelope(old, jsonSerializer)).toEqual({ value: legacy, freshUntil: 5, costMs: 1 });
    const tagged = jsonSerializer.serialize({ n: Number.NaN });
    expect(() => JSON.parse(tagged.toString('utf8'))).toThrow(SyntaxError);
  });

  it('refuses values JSON cannot represent', () => {
    expect(() => encodeEnvelope({ value: 10n, freshUntil: 1, costMs: 0 }, jsonSerializer)).toThrow(/BigInt/);
    expect(() => encodeEnvelope({ value: () => 1, freshUntil: 1, costMs: 0 }, jsonSerializer)).toThrow(
      /function/,
    );
  });
});
