/**
 * Tagged hits read the namespace's tag epoch, one key on one node (invalidation/tag-versions.ts). That
 * node failing must not fail the tagged hits of entries whose own node and tags' nodes are alive: they
 * read their tags instead. Real memcached, three nodes, the epoch's node killed or hung; both protocols.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createCache } from '../../src/index.js';
import { tagEpochKeyOf, tagKeyOf, toStoreKey } from '../../src/keys.js';
import { startCluster, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS, poolOn } from '../support/protocols.js';

afterAll(stopAllMemcached);

describe.each(PROTOCOLS)('the tag epoch node failing (%s)', (protocol) => {
  it.each(['killed', 'hung'] as const)(
    '%s: tagged hits elsewhere still hit, no loader runs',
    async (fault) => {
      const nodes = await startCluster(3);
      const namespace = `epoch-${fault}`;
      const store = poolOn(protocol, nodes, 1000); // generous for the live nodes on a loaded host
      const cache = createCache({ store, namespace, safeMode: 'off' });
      try {
        const epochNode = store.ownerIndex(tagEpochKeyOf(namespace));
        const elsewhere = (storeKey: string) => store.ownerIndex(storeKey) !== epochNode;
        const tag = Array.from({ length: 50 }, (_, i) => `t${i}`).find((t) =>
          elsewhere(tagKeyOf(namespace, t)),
        );
        const keys = Array.from({ length: 40 }, (_, i) => `k${i}`).filter((k) =>
          elsewhere(toStoreKey(namespace, k)),
        );
        expect(tag).toBeDefined();
        expect(keys.length).toBeGreaterThan(5);
        const tags = [tag as string];
        for (const k of keys) await cache.wrap(k, () => `v-${k}`, { tags });
        for (const k of keys) await cache.wrap(k, () => 'reloaded', { tags }); // the states are kept
        if (fault === 'killed') await nodes[epochNode]?.kill();
        else nodes[epochNode]?.stop();
        const loader = vi.fn(() => 'reloaded');
        const answers = await Promise.all(keys.map((k) => cache.answer(k, loader, { tags })));
        expect(answers.map((a) => a.value)).toEqual(keys.map((k) => `v-${k}`));
        expect(answers.every((a) => a.source === 'hit')).toBe(true);
        expect(loader).not.toHaveBeenCalled();
      } finally {
        nodes.forEach((n) => {
          if (n.isRunning) n.cont();
        });
        await cache.close();
        await store.close();
        await Promise.all(nodes.map((n) => n.close()));
      }
    },
  );
});
