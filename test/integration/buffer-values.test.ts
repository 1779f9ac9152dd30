/**
 * A Buffer value is stored as its own bytes (envelope version 3), whatever the serializer, and reads back
 * as an equal Buffer: from memcached in another cache, from the memory tier, and after a soft purge within
 * grace. On both protocols, with the JSON serializer (which refuses Buffers inside values).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CacheOptions, createCache, SerializationError } from '../../src/index.js';
import { toStoreKey } from '../../src/keys.js';
import { MemcachedStore } from '../../src/store/memjs/memcached-store.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS } from '../support/protocols.js';

let node: MemcachedProcess;
beforeAll(async () => {
  node = await startMemcached();
});
afterAll(stopAllMemcached);

describe.each(PROTOCOLS)('Buffer values on %s', (protocol) => {
  it('read back byte for byte from memcached and from the memory tier, stored without a serializer', async () => {
    const namespace = `buf-${protocol}`;
    const options: CacheOptions = { servers: [node.address], protocol, namespace, safeMode: 'off' };
    const writer = createCache(options);
    const reader = createCache({ ...options, memory: { maxEntries: 10 } });
    const raw = new MemcachedStore({ servers: [{ address: node.address, weight: 1 }], opTimeoutMs: 1000 });
    const bytes = Buffer.from([0, 255, 1, 128, 34, 92, 126]); // NUL, high bytes, `"`, `\`, `~`
    try {
      expect(await writer.wrap('img', () => bytes)).toBe(bytes);
      for (let i = 0; i < 2; i++) {
        const back = await reader.answer('img', () => Buffer.from('loaded'));
        expect(back.source).toBe('hit');
        expect(Buffer.isBuffer(back.value) && back.value.equals(bytes)).toBe(true);
      }
      expect(reader.stats().memoryHits).toBe(1);
      const stored = (await raw.get(toStoreKey(namespace, 'img'))) as Buffer;
      expect(stored[1]).toBe(3);
      expect(stored.subarray(stored.length - bytes.length).equals(bytes)).toBe(true);
      await writer.invalidate('img');
      const stale = await writer.answer('img', () => Buffer.from('new'), { grace: 60 });
      expect(stale.source).toBe('stale');
      expect((stale.value as Buffer).equals(bytes)).toBe(true);
      // A Buffer inside a value still goes through the serializer, which refuses it.
      await expect(writer.set('nested', { image: bytes })).rejects.toBeInstanceOf(SerializationError);
    } finally {
      await Promise.all([writer.close(), reader.close(), raw.close()]);
    }
  });
});
