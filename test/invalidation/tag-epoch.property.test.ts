/**
 * Property test of tagged reads across processes (issue 12): two caches over one store stand in for two
 * processes, each keeping tag states while the namespace's epoch stays (invalidation/tag-versions.ts).
 * Whatever the sequence of loads, reads and tag invalidations in either cache (and the epoch key lost
 * now and then), a read answers `hit` exactly when no tag of the entry was invalidated since its load:
 * never a stale entry served as fresh, and no fresh entry refused because of a kept state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Cache, createCache, MemoryStore } from '../../src/index.js';
import { tagEpochKeyOf } from '../../src/keys.js';

const KEYS = ['k0', 'k1', 'k2', 'k3'] as const;
const TAGS = ['t0', 't1', 't2'] as const;
/** The tags each key's entry carries (k3: none of the invalidated ones can reach it but t2). */
const TAGS_OF: Record<(typeof KEYS)[number], string[]> = {
  k0: ['t0'],
  k1: ['t1'],
  k2: ['t0', 't1'],
  k3: ['t2'],
};

type Step =
  | { kind: 'read'; cache: number; key: (typeof KEYS)[number] }
  | { kind: 'invalidate'; cache: number; tag: (typeof TAGS)[number] }
  | { kind: 'lose-epoch' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      cache: fc.nat(1),
      key: fc.constantFrom(...KEYS),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('invalidate' as const),
      cache: fc.nat(1),
      tag: fc.constantFrom(...TAGS),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'lose-epoch' as const }) },
);

describe('tagged reads with kept tag states (property)', () => {
  it('answer hit exactly when no tag of the entry was invalidated since its load, in either process', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 40 }), async (steps) => {
        const store = new MemoryStore();
        const caches: Cache[] = [0, 1].map(() =>
          createCache({ store, namespace: 'p', safeMode: 'off', ttl: 600 }),
        );
        // The model: a logical clock, when each key was last loaded, when each tag was last invalidated.
        let clock = 0;
        const loadedAt = new Map<string, number>();
        const invalidatedAt = new Map<string, number>();
        const fresh = (key: string) => {
          const at = loadedAt.get(key);
          return (
            at !== undefined &&
            TAGS_OF[key as (typeof KEYS)[number]].every((t) => (invalidatedAt.get(t) ?? -1) < at)
          );
        };
        try {
          for (const step of steps) {
            if (step.kind === 'invalidate') {
              await caches[step.cache]?.invalidateTags([step.tag]);
              invalidatedAt.set(step.tag, clock++);
            } else if (step.kind === 'lose-epoch') {
              await store.delete(tagEpochKeyOf('p'));
            } else {
              const expected = fresh(step.key) ? 'hit' : 'loaded';
              const cache = caches[step.cache] as Cache;
              const answer = await cache.answer(step.key, () => `v${clock}`, {
                tags: TAGS_OF[step.key],
                grace: 0,
              });
              expect(answer.source, `${step.key} in cache ${step.cache}`).toBe(expected);
              if (answer.source === 'loaded') loadedAt.set(step.key, clock++);
            }
          }
        } finally {
          await Promise.all(caches.map((c) => c.close()));
        }
      }),
      { numRuns: 150 },
    );
  });
});
