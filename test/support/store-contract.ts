/**
 * The contract every Store must keep, as one suite run against each store (MemoryStore, MemcachedStore
 * on one node and on several). A custom store can be checked by calling it the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { sleep } from './deferred.js';

export function describeStoreContract(
  name: string,
  open: () => Promise<Store>,
  close?: () => Promise<void>,
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let n = 0;
    const key = () => `contract:${process.pid}:${Date.now()}:${n++}`;

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store.close();
      await close?.();
    });

    it('gets what was set, byte for byte, and null for absent keys', async () => {
      const k = key();
      const bytes = Buffer.from([0, 1, 2, 255, 10, 13]);
      expect(await store.get(k)).toBeNull();
      await store.set(k, bytes, 60);
      expect(await store.get(k)).toEqual(bytes);
    });

    it('adds only when absent, and exactly one of many concurrent adds wins', async () => {
      const k = key();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.add(k, Buffer.from(`t${i}`), 60)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await store.get(k))?.toString()).toBe(`t${winner}`);
    });

    it('deletes, saying whether the key existed', async () => {
      const k = key();
      await store.set(k, Buffer.from('v'), 60);
      expect(await store.delete(k)).toBe(true);
      expect(await store.delete(k)).toBe(false);
      expect(await store.get(k)).toBeNull();
    });

    it('expires items after their TTL (whole seconds), and touch extends them', async () => {
      const [a, b] = [key(), key()];
      await store.set(a, Buffer.from('a'), 1);
      await store.set(b, Buffer.from('b'), 1);
      expect(await store.touch(b, 5)).toBe(true);
      expect(await store.touch(key(), 5)).toBe(false);
      await sleep(2100);
      expect(await store.get(a)).toBeNull();
      expect((await store.get(b))?.toString()).toBe('b');
    });

    it('keeps items with a TTL of 0, and reads a TTL over 30 days as a duration', async () => {
      const [a, b] = [key(), key()];
      await store.set(a, Buffer.from('forever'), 0);
      await store.set(b, Buffer.from('long'), 40 * 24 * 3600);
      expect((await store.get(a))?.toString()).toBe('forever');
      expect((await store.get(b))?.toString()).toBe('long');
    });

    it('accepts a route and answers the same with it', async () => {
      const k = key();
      await store.set(k, Buffer.from('routed'), 60, { route: 'other' });
      expect((await store.get(k, { route: 'other' }))?.toString()).toBe('routed');
      expect(await store.add(k, Buffer.from('x'), 60, { route: 'other' })).toBe(false);
      expect(await store.delete(k, { route: 'other' })).toBe(true);
    });
  });
}
