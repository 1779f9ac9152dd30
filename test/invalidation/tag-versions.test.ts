/**
 * Unit tests of tag reads on the hit path (issue 12). A tagged hit reads the namespace's epoch in its
 * entry's tick; tag states read after an epoch was seen are kept while the epoch reads the same, and
 * never past a change (the invalidation guarantee: every invalidation writes its tags, then the epoch).
 * Reads of one event-loop turn are shared, never across turns; states are at hand synchronously once the
 * epoch's answer is in, before the continuation of an entry answered after it; a failed read rejects
 * without an unhandled rejection.
 */
import { describe, expect, it } from 'vitest';
import { encodeTagState, nextState, type TagState } from '../../src/invalidation/tag-state.js';
import { type TagRead, TagVersions } from '../../src/invalidation/tag-versions.js';
import { tagEpochKeyOf, tagKeyOf } from '../../src/keys.js';
import type { Store } from '../../src/store/store.js';

interface Asked {
  op: 'get' | 'add';
  key: string;
  answer(result: Buffer | null | boolean): void;
  fail(error: Error): void;
}

/** A store whose calls the test answers by hand; `pooled`: it has a node pool (answers come as I/O). */
function handStore(pooled: boolean): { store: Store; asked: Asked[] } {
  const asked: Asked[] = [];
  const call = (op: Asked['op'], key: string) =>
    new Promise((resolve, reject) => asked.push({ op, key, answer: resolve, fail: reject }));
  const store = {
    nodePool: pooled ? {} : undefined,
    get: (key: string) => call('get', key),
    add: (key: string) => call('add', key),
  } as unknown as Store;
  return { store, asked };
}

const EPOCH = tagEpochKeyOf('ns');
const tagKey = (tag: string) => tagKeyOf('ns', tag);
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const epoch = (text: string) => Buffer.from(text, 'latin1');

/** Answers every open get of `key` (in the order asked), then lets their continuations run. */
async function answer(asked: Asked[], key: string, result: Buffer | null): Promise<void> {
  for (const a of asked.filter((x) => x.op === 'get' && x.key === key)) {
    a.answer(result);
    asked.splice(asked.indexOf(a), 1);
  }
  await nextTurn();
}

/** A hit's read of `tags` whose epoch answers `epochText` and whose tags (if read) answer `states`. */
async function readThrough(
  versions: TagVersions,
  asked: Asked[],
  tags: string[],
  epochText: string,
  states: Record<string, TagState | null>,
): Promise<{ read: TagRead; tagsAsked: string[] }> {
  const read = versions.read(tags);
  await answer(asked, EPOCH, epoch(epochText));
  void read.states; // the first look after the epoch arrived decides
  const tagsAsked = asked.filter((a) => a.op === 'get').map((a) => a.key);
  for (const tag of tags) {
    const state = states[tag];
    await answer(asked, tagKey(tag), state ? encodeTagState(state) : null);
  }
  await read.promise;
  return { read, tagsAsked };
}

describe('TagVersions.read', () => {
  it('shares the epoch read within a turn, never across turns', async () => {
    const { store, asked } = handStore(true);
    const versions = new TagVersions(store, 'ns');
    versions.read(['a']);
    versions.read(['a', 'b']);
    expect(asked.map((a) => a.key)).toEqual([EPOCH]);
    await nextTurn();
    versions.read(['a']);
    expect(asked.map((a) => a.key)).toEqual([EPOCH, EPOCH]);
  });

  it('does not share when the store answers within a turn (no node pool)', () => {
    const { store, asked } = handStore(false);
    const versions = new TagVersions(store, 'ns');
    versions.read(['a']);
    versions.read(['a']);
    expect(asked).toHaveLength(2);
  });

  it('keeps states read after the epoch was seen, and reads only the epoch while it stays', async () => {
    const { store, asked } = handStore(true);
    const versions = new TagVersions(store, 'ns');
    const a = nextState(null, true);
    const first = await readThrough(versions, asked, ['a'], 'E1', { a });
    expect(first.tagsAsked).toEqual([tagKey('a')]);
    expect(first.read.kept).toBe(false);
    const second = await readThrough(versions, asked, ['a'], 'E1', { a });
    expect(second.tagsAsked).toEqual([]);
    expect(second.read.kept).toBe(true);
    expect(second.read.states?.get('a')).toEqual(a);
  });

  it('trusts nothing kept once the epoch moved: the tags are read again', async () => {
    const { store, asked } = handStore(true);
    const versions = new TagVersions(store, 'ns');
    const before = nextState(null, true);
    const after = nextState(before, false);
    await readThrough(versions, asked, ['a'], 'E1', { a: before });
    const moved = await readThrough(versions, asked, ['a'], 'E2', { a: after });
    expect(moved.tagsAsked).toEqual([tagKey('a')]);
    expect(moved.read.states?.get('a')).toEqual(after);
    const again = await readThrough(versions, asked, ['a'], 'E2', { a: after });
    expect(again.tagsAsked).toEqual([]);
    expect(again.read.states?.get('a')).toEqual(after);
  });

  it('does not keep a state whose read was issued before the epoch it would be kept under was seen', async () => {
    const { store, asked } = handStore(true);
    const versions = new TagVersions(store, 'ns');
    const old = nextState(null, true);
    await readThrough(versions, asked, ['a'], 'E1', { a: old });
    // A read of the tag issued while E1 is the epoch seen last, answered after E2 was seen.
    const early = versions.readUncached(['a']);
    await nextTurn();
    versions.read(['other']); // sees E2 (and leaves its tag unread)
    await answer(asked, EPOCH, epoch('E2'));
    await answer(asked, tagKey('a'), encodeTagState(old)); // the early read's answer: from before E2
    await early.promise;
    const next = await readThrough(versions, asked, ['a'], 'E2', { a: nextState(old, false) });
    expect(next.tagsAsked).toEqual([tagKey('a')]);
  });

  it('keeps nothing without an epoch, and adds one (once at a time)', async () => {
    const { store, asked } = handStore(true);
    const versions = new TagVersions(store, 'ns');
    const a = nextState(null, true);
    const read = versions.read(['a']);
    versions.read(['a']);
    await answer(asked, EPOCH, null);
    void read.states;
    expect(asked.filter((x) => x.op === 'add').map((x) => x.key)).toEqual([EPOCH]);
    await answer(asked, tagKey('a'), encodeTagState(a));
    await read.promise;
    const next = await readThrough(versions, asked, ['a'], 'ignored', { a });
    expect(next.read.kept).toBe(false); // 'ignored' is a new epoch: nothing was kept under any
    expect(asked.filter((x) => x.op === 'add')).toHaveLength(1);
  });

  it('never keeps a tag without state (a load creates one without moving the epoch)', async () => {
    const { store, asked } = handStore(true);
    const versions = new TagVersions(store, 'ns');
    await readThrough(versions, asked, ['a'], 'E1', { a: null });
    const next = await readThrough(versions, asked, ['a'], 'E1', { a: null });
    expect(next.tagsAsked).toEqual([tagKey('a')]);
    expect(next.read.states?.get('a')).toBeNull();
  });

  it('has the states at hand in the continuation of an entry answered right after the epoch', async () => {
    const { store, asked } = handStore(true);
    const versions = new TagVersions(store, 'ns');
    const a = nextState(null, true);
    await readThrough(versions, asked, ['a'], 'E1', { a });
    const read = versions.read(['a']); // asked first, as a hit does
    let entry: (bytes: Buffer) => void = () => undefined;
    const seen = new Promise<unknown>((resolve) => {
      new Promise<Buffer>((answerEntry) => {
        entry = answerEntry;
      }).then(() => resolve(read.states));
    });
    expect(read.states).toBeUndefined();
    asked[0]?.answer(epoch('E1')); // both answers in one chunk: epoch, then entry
    entry(Buffer.from('entry'));
    const states = (await seen) as ReadonlyMap<string, unknown> | undefined;
    expect(states?.get('a')).toEqual(a);
    expect(await read.promise).toBe(states);
  });

  it('reads several tags as one: states once every answer is in, null for a tag without state', async () => {
    const { store, asked } = handStore(true);
    const versions = new TagVersions(store, 'ns');
    const a = nextState(null, true);
    const read = versions.read(['a', 'b']);
    await answer(asked, EPOCH, epoch('E1'));
    void read.states;
    await answer(asked, tagKey('a'), encodeTagState(a));
    expect(read.states).toBeUndefined(); // b has not answered
    await answer(asked, tagKey('b'), null);
    const states = await read.promise;
    expect([...states]).toEqual([
      ['a', a],
      ['b', null],
    ]);
    expect(read.states).toBe(states);
  });

  it('reads the tags themselves when the epoch cannot be read (its node failing fails no tagged hit)', async () => {
    const { store, asked } = handStore(true);
    const versions = new TagVersions(store, 'ns');
    const a = nextState(null, true);
    const read = versions.read(['a']);
    asked[0]?.fail(new Error('epoch node down'));
    await nextTurn();
    void read.states;
    expect(asked.slice(1).map((x) => x.key)).toEqual([tagKey('a')]);
    await answer(asked, tagKey('a'), encodeTagState(a));
    expect((await read.promise).get('a')).toEqual(a);
    expect(read.kept).toBe(false);
  });

  it('rejects with the store error of the tags, unhandled by nobody, and never has states', async () => {
    const { store, asked } = handStore(true);
    const versions = new TagVersions(store, 'ns');
    const one = versions.read(['a']);
    const several = versions.read(['a', 'b']); // nobody awaits it: no unhandled rejection either
    asked[0]?.answer(epoch('E1'));
    await nextTurn();
    void one.states;
    void several.states;
    for (const call of asked.filter((x) => x.key !== EPOCH)) call.fail(new Error('down'));
    await expect(one.promise).rejects.toThrow('down');
    await nextTurn();
    expect(one.states).toBeUndefined();
    expect(several.states).toBeUndefined();
    await expect(several.promise).rejects.toThrow('down');
  });
});
