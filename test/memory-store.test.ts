import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/index.js';
import { describeStoreContract } from './support/store-contract.js';

describeStoreContract('MemoryStore', async () => new MemoryStore());

describe('MemoryStore', () => {
  it('drops the oldest item past maxItems', async () => {
    const store = new MemoryStore({ maxItems: 2 });
    for (const k of ['a', 'b', 'c']) await store.set(k, Buffer.from(k), 60);
    expect(await store.get('a')).toBeNull();
    expect(store.size).toBe(2);
  });

  it('rejects a bad maxItems with a TypeError naming it', () => {
    expect(() => new MemoryStore({ maxItems: 0 })).toThrow(/`maxItems`/);
  });

  it('stores a copy, not the caller’s buffer', async () => {
    const store = new MemoryStore();
    const bytes = Buffer.from('abc');
    await store.set('k', bytes, 60);
    bytes.write('xyz');
    expect((await store.get('k'))?.toString()).toBe('abc');
  });
});
