/**
 * Property tests of the key spaces (issue 9 items 2-4): distinct (namespace, key) pairs never share a
 * stored key, plain or hashed, and no lock key is ever a data key. The generators build keys from
 * fragments that caused collisions in 0.1 (`:`, `#`, `safe-`, spaces, lone surrogates, U+FFFD) so
 * near-collisions are common, plus arbitrary 16-bit strings, full Unicode and very long strings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidNamespace, lockKeyOf, MAX_KEY_BYTES, toStoreKey } from '../src/keys.js';

const FRAGMENTS = [
  ':',
  '#',
  'safe-',
  'a',
  'b',
  ' ',
  '\ud800',
  '\udbff',
  '\udfff',
  '\ufffd',
  'é',
  '\u{1f600}',
  'id',
];
const fragmentString = fc
  .array(fc.constantFrom(...FRAGMENTS), { maxLength: 6 })
  .map((parts) => parts.join(''));
const codeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)) });
const keyArb = fc
  .oneof(
    fragmentString,
    codeUnits,
    fc.string({ unit: 'binary' }),
    fc.tuple(fragmentString, fc.integer({ min: 200, max: 400 })).map(([s, n]) => s + 'k'.repeat(n)),
  )
  .filter((k) => k.length > 0);
const namespaceArb = fc
  .oneof(
    fc.constantFrom('', 'a', 'b', 'a#b', 'safe', 'saf', 'id', 'x'.repeat(64)),
    fc
      .array(fc.constantFrom('a', 'b', ':', '#', 'safe-', '-', 'id'), { maxLength: 4 })
      .map((p) => p.join('')),
    fc.string({
      unit: fc.integer({ min: 0x21, max: 0x7e }).map((u) => String.fromCharCode(u)),
      maxLength: 64,
    }),
  )
  .filter(isValidNamespace);
const pairArb = fc.tuple(namespaceArb, keyArb);
// Tiny alphabets, so that a batch often holds pairs that spell the same text.
const tinyPairArb: fc.Arbitrary<[string, string]> = fc.tuple(
  fc.constantFrom('', 'a', 'a:b', 'safe-', 'safe-a').filter(isValidNamespace),
  fc
    .array(fc.constantFrom('a', ':', 'b', 'safe-', ' ', '\ud800', '\udfff', '\ufffd'), {
      minLength: 1,
      maxLength: 3,
    })
    .map((parts) => parts.join('')),
);
const samePair = (a: [string, string], b: [string, string]) => a[0] === b[0] && a[1] === b[1];

describe('store keys (property)', () => {
  it('never map distinct (namespace, key) pairs to one key, and stay valid memcached keys', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(pairArb, tinyPairArb), { minLength: 2, maxLength: 40 }), (pairs) => {
        const byKey = new Map<string, [string, string]>();
        const byDigest = new Map<string, [string, string]>();
        for (const pair of pairs) {
          const key = toStoreKey(...pair);
          expect(key).toMatch(/^[\x21-\x7e]+$/);
          expect(key.length).toBeLessThanOrEqual(MAX_KEY_BYTES);
          expect(lockKeyOf(key).length).toBeLessThanOrEqual(250);
          const seen = byKey.get(key);
          if (seen) expect(samePair(seen, pair)).toBe(true);
          byKey.set(key, pair);
          if (!key.includes('#')) continue;
          const digest = key.slice(key.lastIndexOf('#') + 1); // a namespace may hold '#' too
          // Hashed keys must differ by digest alone, not only by their readable prefix.
          const seenDigest = byDigest.get(digest);
          if (seenDigest) expect(samePair(seenDigest, pair)).toBe(true);
          byDigest.set(digest, pair);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never map a pair to the key of its re-split neighbours (`a:b` + `c` against `a` + `b:c`)', () => {
    fc.assert(
      fc.property(pairArb, ([namespace, key]) => {
        const own = toStoreKey(namespace, key);
        const joined = namespace ? `${namespace}:${key}` : key;
        const neighbours: [string, string][] = [['', joined]];
        for (let i = joined.indexOf(':'); i >= 0; i = joined.indexOf(':', i + 1)) {
          const [ns, rest] = [joined.slice(0, i), joined.slice(i + 1)];
          if (isValidNamespace(ns) && rest) neighbours.push([ns, rest]);
        }
        for (const pair of neighbours)
          if (!samePair(pair, [namespace, key])) expect(toStoreKey(...pair)).not.toBe(own);
      }),
      { numRuns: 500 },
    );
  });

  it('never let a lock key equal a data key, whatever the user key or namespace', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(pairArb, tinyPairArb), { minLength: 1, maxLength: 30 }), (pairs) => {
        const dataKeys = pairs.map((pair) => toStoreKey(...pair));
        const lockKeys = new Set(dataKeys.map(lockKeyOf));
        expect(new Set(lockKeys).size).toBe(new Set(dataKeys).size);
        for (const key of dataKeys) {
          expect(lockKeys.has(key)).toBe(false);
          expect(key.startsWith('safe-')).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('lets a user key that spells a lock key land elsewhere (`safe-` + data key)', () => {
    fc.assert(
      fc.property(pairArb, ([namespace, key]) => {
        const lock = lockKeyOf(toStoreKey(namespace, key));
        expect(toStoreKey('', lock)).not.toBe(lock);
        expect(toStoreKey(namespace, lock)).not.toBe(lock);
      }),
      { numRuns: 300 },
    );
  });
});
