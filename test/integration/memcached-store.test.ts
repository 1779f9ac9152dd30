/**
 * The memcached pool against real memcached processes, on both protocols (memjs binary and our meta client):
 * contract, routing, timeouts, refused connections.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError, StoreTimeoutError } from '../../src/errors.js';
import type { Protocol } from '../../src/options.js';
import { MemcachedStore } from '../../src/store/memjs/memcached-store.js';
import { MetaStore } from '../../src/store/meta/meta-store.js';
import type { RendezvousPool } from '../../src/store/rendezvous-pool.js';
import { RoutedStore } from '../../src/store/routed-store.js';
import { CountingStore } from '../support/counting-store.js';
import {
  type MemcachedProcess,
  startCluster,
  startMemcached,
  stopAllMemcached,
} from '../support/memcached.js';
import { describeNodePoolContract, describeStoreContract } from '../support/store-contract.js';

afterAll(stopAllMemcached);

const PROTOCOLS: readonly Protocol[] = ['binary', 'meta'];

describe.each(PROTOCOLS)('protocol %s', (protocol) => {
  const pool = (nodes: MemcachedProcess[], opTimeoutMs = 300): RendezvousPool => {
    const servers = nodes.map((n) => ({ address: n.address, weight: 1 }));
    return protocol === 'meta'
      ? new MetaStore({ servers, opTimeoutMs })
      : new MemcachedStore({ servers, opTimeoutMs });
  };

  let single: MemcachedProcess;
  describeStoreContract(
    'MemcachedStore, one node',
    async () => {
      single = await startMemcached();
      return pool([single]);
    },
    () => single.close(),
  );

  let three: MemcachedProcess[] = [];
  describeStoreContract(
    'MemcachedStore, three nodes',
    async () => {
      three = await startCluster(3);
      return pool(three);
    },
    async () => {
      await Promise.all(three.map((n) => n.close()));
    },
  );

  let poolNodes: MemcachedProcess[] = [];
  describeNodePoolContract(
    'MemcachedStore, three nodes',
    async () => {
      poolNodes = await startCluster(3);
      return pool(poolNodes);
    },
    async () => {
      await Promise.all(poolNodes.map((n) => n.close()));
    },
  );

  // A wrapper keeps both contracts by forwarding call options and `nodePool` (test/support/counting-store.ts).
  let wrappedNodes: MemcachedProcess[] = [];
  const openWrapped = async () => {
    wrappedNodes = await startCluster(3);
    return new CountingStore(pool(wrappedNodes));
  };
  const closeWrapped = async () => {
    await Promise.all(wrappedNodes.map((n) => n.close()));
  };
  describeStoreContract('CountingStore around MemcachedStore', openWrapped, closeWrapped);
  describeNodePoolContract('CountingStore around MemcachedStore', openWrapped, closeWrapped);

  // A cache's view of its store carries the cache's routing on every call; it keeps the contract too, and
  // closes nothing (the pool is closed by whoever created it).
  let routedNodes: MemcachedProcess[] = [];
  let routedPool: RendezvousPool | undefined;
  describeStoreContract(
    'RoutedStore over MemcachedStore, every key placed home',
    async () => {
      routedNodes = await startCluster(3);
      const inner = pool(routedNodes);
      routedPool = inner;
      return new RoutedStore(inner, { pool: inner, place: (_, owner) => inner.home(owner) });
    },
    async () => {
      await routedPool?.close();
      await Promise.all(routedNodes.map((n) => n.close()));
    },
  );

  describe('MemcachedStore routing and failures', () => {
    it('routes a key by `route` to the node of the route key, and spreads keys over all nodes', async () => {
      const nodes = await startCluster(3);
      const store = pool(nodes);
      const perNode = nodes.map((n) => pool([n]));
      try {
        for (let i = 0; i < 30; i++) {
          await store.set(`data:${i}`, Buffer.from('d'), 60);
          await store.set(`safe-data:${i}`, Buffer.from('l'), 60, { route: `data:${i}` });
        }
        const holders = await Promise.all(
          perNode.map(async (s) => {
            const found: number[] = [];
            for (let i = 0; i < 30; i++) {
              const [d, l] = await Promise.all([s.get(`data:${i}`), s.get(`safe-data:${i}`)]);
              expect(d === null).toBe(l === null); // the lock key lives with its data key
              if (d) found.push(i);
            }
            return found;
          }),
        );
        expect(holders.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
        expect(holders.every((h) => h.length > 0)).toBe(true);
      } finally {
        await Promise.all([store, ...perNode].map((s) => s.close()));
        await Promise.all(nodes.map((n) => n.close()));
      }
    });

    it('rejects with StoreTimeoutError when the node hangs (SIGSTOP), and recovers after SIGCONT', async () => {
      const node = await startMemcached();
      const store = pool([node], 200);
      try {
        await store.set('k', Buffer.from('v'), 60);
        node.stop();
        const calls = [
          store.get('k'),
          store.add('a', Buffer.from('x'), 5),
          store.set('s', Buffer.from('x'), 5),
        ];
        const settled = await Promise.allSettled(calls);
        for (const s of settled) {
          expect(s.status).toBe('rejected');
          expect((s as PromiseRejectedResult).reason).toBeInstanceOf(StoreTimeoutError);
          expect((s as PromiseRejectedResult).reason).toMatchObject({
            code: 'E_STORE_TIMEOUT',
            node: node.address,
          });
        }
        node.cont();
        await expect
          .poll(async () => (await store.get('k').catch(() => null))?.toString(), { timeout: 5000 })
          .toBe('v');
      } finally {
        await store.close();
        await node.close();
      }
    });

    it('rejects with StoreError at once when the node is gone', async () => {
      const node = await startMemcached();
      const store = pool([node], 2000);
      await node.kill();
      try {
        const error = await store.get('k').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreError);
        expect(error).not.toBeInstanceOf(StoreTimeoutError);
        expect((error as StoreError).node).toBe(node.address);
      } finally {
        await store.close();
        await node.close();
      }
    });
  });
});
