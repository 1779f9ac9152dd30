/**
 * Unit tests of tag reads on the hit path (issue 12): hits of one event-loop turn share a tag's read and
 * never one from an earlier turn (the invalidation guarantee); a read's states are at hand synchronously
 * once its answer is in, before the continuation of an entry answered after it (what lets a tagged hit
 * be judged without a promise of its own); a failed read rejects without an unhandled rejection.
 */
import { describe, expect, it } from 'vitest';
import { encodeTagState, nextState } from '../../src/invalidation/tag-state.js';
import { TagVersions } from '../../src/invalidation/tag-versions.js';
import type { Store } from '../../src/store/store.js';

interface Asked {
  key: string;
  answer(bytes: Buffer | null): void;
  fail(error: Error): void;
}

/** A store whose gets the test answers by hand; `pooled`: it has a node pool (answers come as I/O). */
function handStore(pooled: boolean): { store: Store; asked: Asked[] } {
  const asked: Asked[] = [];
  const store = {
    nodePool: pooled ? {} : undefined,
    get: (key: string) =>
      new Promise<Buffer | null>((resolve, reject) => asked.push({ key, answer: resolve, fail: reject })),
  } as unknown as Store;
  return { store, asked };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TagVersions.read', () => {
  it('shares one read of a tag within a turn, never across turns', async () => {
    const { store, asked } = handStore(true);
    const tags = new TagVersions(store, 'ns');
    const first = tags.read(['a']);
    expect(tags.read(['a'])).toBe(first);
    tags.read(['a', 'b']);
    expect(asked.map((a) => a.key)).toHaveLength(2); // a, then b: a is shared
    await nextTurn();
    expect(tags.read(['a'])).not.toBe(first);
    expect(asked).toHaveLength(3);
  });

  it('does not share when the store answers within a turn (no node pool)', () => {
    const { store, asked } = handStore(false);
    const tags = new TagVersions(store, 'ns');
    expect(tags.read(['a'])).not.toBe(tags.read(['a']));
    expect(asked).toHaveLength(2);
  });

  it('has the states at hand in the continuation of an entry answered right after the tag', async () => {
    const { store, asked } = handStore(true);
    const tags = new TagVersions(store, 'ns');
    const state = nextState(null, true);
    const read = tags.read(['a']); // asked first, as a hit does
    let entry: (bytes: Buffer) => void = () => undefined;
    const seen = new Promise<unknown>((resolve) => {
      new Promise<Buffer>((answer) => {
        entry = answer;
      }).then(() => resolve(read.states));
    });
    expect(read.states).toBeUndefined();
    asked[0]?.answer(encodeTagState(state)); // both answers in one chunk: tag, then entry
    entry(Buffer.from('entry'));
    const states = (await seen) as ReadonlyMap<string, unknown> | undefined;
    expect(states?.get('a')).toEqual(state);
    expect(await read.promise).toBe(states);
  });

  it('reads several tags as one: states once every answer is in, null for a tag without state', async () => {
    const { store, asked } = handStore(true);
    const tags = new TagVersions(store, 'ns');
    const state = nextState(null, true);
    const read = tags.read(['a', 'b']);
    asked[0]?.answer(encodeTagState(state));
    await tags.read(['a']).promise;
    expect(read.states).toBeUndefined(); // b has not answered
    asked[1]?.answer(null);
    const states = await read.promise;
    expect([...states]).toEqual([
      ['a', state],
      ['b', null],
    ]);
    expect(read.states).toBe(states);
  });

  it('rejects with the store error, unhandled by nobody, and never has states', async () => {
    const { store, asked } = handStore(true);
    const tags = new TagVersions(store, 'ns');
    const one = tags.read(['a']);
    const several = tags.read(['a', 'b']); // nobody awaits it: no unhandled rejection either
    asked[0]?.fail(new Error('down'));
    asked[1]?.answer(null);
    await expect(one.promise).rejects.toThrow('down');
    await nextTurn();
    expect(one.states).toBeUndefined();
    expect(several.states).toBeUndefined();
    await expect(several.promise).rejects.toThrow('down');
  });
});
