/**
 * Property tests of the tag key spaces (issue 12): tag keys and epoch keys are injective and never meet a
 * data key, a hashed key or a `safe-` lock key, whatever the namespace, key or tag (keys.ts's header).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidNamespace, lockKeyOf, tagEpochKeyOf, tagKeyOf, toStoreKey } from '../../src/keys.js';

const FRAGMENTS = [':', '#', 'safe-', 'tag-', 'a', ' ', '\ud800', '\ufffd', 'é', '-', 't'];
const textArb = fc
  .oneof(
    fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 6 }).map((parts) => parts.join('')),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc
      .tuple(fc.constantFrom('tag-', 'safe-', ''), fc.integer({ min: 240, max: 300 }))
      .map(([p, n]) => p + 'k'.repeat(n)),
  )
  .filter((text) => text.length > 0);
const namespaceArb = fc
  .oneof(
    fc.constantFrom('', 'a', 'tag', 'ta', 'saf', '#'),
    fc.array(fc.constantFrom('a', '#', 'tag-', 'safe-', '-', 't'), { maxLength: 3 }).map((p) => p.join('')),
  )
  .filter(isValidNamespace);
const pairArb = fc.tuple(namespaceArb, textArb);

describe('tag keys (property)', () => {
  it('never meet a data, hashed or lock key, nor each other across distinct (namespace, tag) pairs', () => {
    fc.assert(
      fc.property(fc.array(pairArb, { minLength: 1, maxLength: 30 }), (pairs) => {
        const dataKeys = pairs.map((pair) => toStoreKey(...pair));
        const reserved = new Set([...dataKeys.map(lockKeyOf)]);
        const byTagKey = new Map<string, string>();
        for (const [namespace, tag] of pairs) {
          const key = tagKeyOf(namespace, tag);
          expect(key.length).toBeLessThanOrEqual(250);
          expect(key).toMatch(/^tag-[\x21-\x7e]+$/);
          const seen = byTagKey.get(key);
          if (seen !== undefined) expect(seen).toBe(JSON.stringify([namespace, tag]));
          byTagKey.set(key, JSON.stringify([namespace, tag]));
          expect(reserved.has(key)).toBe(false);
          expect(dataKeys.includes(key)).toBe(false);
          expect(tagEpochKeyOf(namespace)).not.toBe(key);
          for (const other of pairs) expect(tagEpochKeyOf(other[0])).not.toBe(key);
        }
        for (const key of dataKeys) {
          expect(key.startsWith('tag-')).toBe(false);
          expect(key.startsWith('safe-')).toBe(false);
          for (const [namespace] of pairs) expect(tagEpochKeyOf(namespace)).not.toBe(key);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('gives each namespace its own epoch key', () => {
    fc.assert(
      fc.property(namespaceArb, namespaceArb, (a, b) => {
        if (a !== b) expect(tagEpochKeyOf(a)).not.toBe(tagEpochKeyOf(b));
      }),
    );
  });

  it('moves an empty-namespace user key that spells a tag key elsewhere', () => {
    fc.assert(
      fc.property(pairArb, ([namespace, tag]) => {
        const key = tagKeyOf(namespace, tag);
        expect(toStoreKey('', key)).not.toBe(key);
        expect(toStoreKey('', tagEpochKeyOf(namespace))).not.toBe(tagEpochKeyOf(namespace));
      }),
    );
  });
});
