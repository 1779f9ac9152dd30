/**
 * Property tests of a tag's state (issue 12): it reads back as written, and an entry's stamp reads fresh
 * until the tag is invalidated, stale after a soft invalidation (from its time), gone after a hard one,
 * whatever the versions drawn and the clock.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeTagState,
  encodeTagState,
  judgeStamp,
  nextState,
  stampOf,
  type TagState,
} from '../../src/invalidation/tag-state.js';

const version = fc.stringMatching(/^[\w-]{1,20}$/);
const stateArb: fc.Arbitrary<TagState> = fc.record({
  current: version,
  epoch: version,
  atMs: fc.integer({ min: 0, max: 2 ** 45 }),
});

describe('tag state (property)', () => {
  it('reads back as written, and nothing else reads as a state', () => {
    fc.assert(
      fc.property(stateArb, (state) => {
        expect(decodeTagState(encodeTagState(state))).toEqual(state);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (raw) => {
        const text = Buffer.from(raw).toString('latin1');
        if (!text.startsWith('sgt1 ')) expect(decodeTagState(Buffer.from(raw))).toBeNull();
      }),
    );
  });

  it('judges a stamp fresh, then stale after a soft invalidation, gone after a hard one', () => {
    fc.assert(
      fc.property(stateArb, fc.integer({ min: 0, max: 2 ** 45 }), (state, now) => {
        const stamp = stampOf(state);
        expect(judgeStamp(stamp, state, now)).toEqual({ kind: 'fresh' });
        const soft = nextState(state, false, now);
        expect(judgeStamp(stamp, soft, now)).toEqual({ kind: 'stale', sinceMs: now });
        expect(judgeStamp(stamp, nextState(soft, true, now), now)).toEqual({ kind: 'gone' });
        expect(judgeStamp(stamp, null, now)).toEqual({ kind: 'stale', sinceMs: now });
      }),
    );
  });

  it('never takes another state for the stamped one', () => {
    fc.assert(
      fc.property(stateArb, stateArb, (a, b) => {
        const sameVersions = a.current === b.current && a.epoch === b.epoch;
        expect(judgeStamp(stampOf(a), b, 0).kind === 'fresh').toBe(sameVersions);
      }),
    );
  });
});
