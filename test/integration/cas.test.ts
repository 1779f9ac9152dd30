/**
 * Compare-and-swap across transports on one real memcached: both use memcached's own CAS (binary: the
 * header's CAS field, through memjs's perform(); meta: `c` and `C<cas>`), so a token read over one
 * protocol is accepted by the other. And CAS calls fail like every other call: bounded, as StoreErrors.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError, StoreTimeoutError } from '../../src/errors.js';
import { MemcachedStore } from '../../src/store/memjs/memcached-store.js';
import { MetaStore } from '../../src/store/meta/meta-store.js';
import type { RendezvousPool } from '../../src/store/rendezvous-pool.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';

afterAll(stopAllMemcached);

const stores = (node: MemcachedProcess, opTimeoutMs = 500) => {
  const servers = [{ address: node.address, weight: 1 }];
  return {
    binary: new MemcachedStore({ servers, opTimeoutMs }),
    meta: new MetaStore({ servers, opTimeoutMs }),
  };
};

describe('CAS across protocols, one memcached', () => {
  it('a CAS read over binary is accepted over meta, and one read over meta over binary', async () => {
    const node = await startMemcached();
    const { binary, meta } = stores(node);
    try {
      const added = (await binary.addWithCas('lock', Buffer.from('b'), 60)) as bigint;
      expect((await meta.getWithCas('lock'))?.cas).toBe(added);
      const viaMeta = await meta.setIfCas('lock', Buffer.from('m'), 60, added);
      expect(typeof viaMeta).toBe('bigint');
      expect(await binary.getWithCas('lock')).toEqual({ value: Buffer.from('m'), cas: viaMeta });
      expect(await binary.setIfCas('lock', Buffer.from('x'), 60, added)).toBe('changed');
      const viaBinary = (await binary.setIfCas('lock', Buffer.from('b2'), 60, viaMeta as bigint)) as bigint;
      expect(typeof viaBinary).toBe('bigint');
      expect(await meta.deleteIfCas('lock', viaMeta as bigint)).toBe('changed');
      expect(await meta.deleteIfCas('lock', viaBinary)).toBe('deleted');
      expect(await binary.getWithCas('lock')).toBeNull();

      const metaAdded = (await meta.addWithCas('lock2', Buffer.from('m'), 60)) as bigint;
      expect(await binary.addWithCas('lock2', Buffer.from('b'), 60)).toBeNull();
      expect((await binary.getWithCas('lock2'))?.cas).toBe(metaAdded);
      expect(await binary.deleteIfCas('lock2', metaAdded)).toBe('deleted');
      expect(await meta.deleteIfCas('lock2', metaAdded)).toBe('missing');
    } finally {
      await Promise.all([binary.close(), meta.close()]);
      await node.close();
    }
  });

  it('values written by one protocol read the same through the other’s CAS calls', async () => {
    const node = await startMemcached();
    const { binary, meta } = stores(node);
    const bytes = Buffer.from([0, 13, 10, 255, 32, 1]);
    try {
      await binary.set('k', bytes, 60);
      expect((await meta.getWithCas('k'))?.value).toEqual(bytes);
      await meta.set('k2', bytes, 60);
      expect((await binary.getWithCas('k2'))?.value).toEqual(bytes);
    } finally {
      await Promise.all([binary.close(), meta.close()]);
      await node.close();
    }
  });
});

describe.each(['binary', 'meta'] as const)('CAS calls fail like every call (%s)', (protocol) => {
  const open = (node: MemcachedProcess, opTimeoutMs: number): RendezvousPool =>
    stores(node, opTimeoutMs)[protocol];

  it('a hung node (SIGSTOP): every CAS call rejects with StoreTimeoutError within the op timeout', async () => {
    const node = await startMemcached();
    const store = open(node, 200);
    try {
      const cas = (await store.addWithCas('k', Buffer.from('v'), 60)) as bigint;
      node.stop();
      const started = Date.now();
      const settled = await Promise.allSettled([
        store.getWithCas('k'),
        store.addWithCas('a', Buffer.from('x'), 5),
        store.setIfCas('k', Buffer.from('y'), 5, cas),
        store.deleteIfCas('k', cas),
      ]);
      expect(Date.now() - started).toBeLessThan(5000);
      for (const s of settled) {
        expect(s.status).toBe('rejected');
        expect((s as PromiseRejectedResult).reason).toBeInstanceOf(StoreTimeoutError);
      }
      node.cont(); // the calls already sent may run now: only the recovery is checked
      await expect
        .poll(
          async () =>
            store.getWithCas('k').then(
              () => 'answered',
              () => 'failed',
            ),
          { timeout: 5000 },
        )
        .toBe('answered');
    } finally {
      await store.close();
      await node.close();
    }
  });

  it('a dead node: CAS calls reject with a StoreError that says the connection was refused', async () => {
    const node = await startMemcached();
    const store = open(node, 2000);
    await node.kill();
    try {
      const outcomes: string[] = [];
      store.observeOutcomes((_, outcome) => outcomes.push(outcome));
      const error = await store.addWithCas('k', Buffer.from('v'), 5).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect(error).not.toBeInstanceOf(StoreTimeoutError);
      expect(outcomes).toEqual(['refused']);
    } finally {
      await store.close();
      await node.close();
    }
  });

  it('a value over the item size limit: ValueTooLargeError, no health evidence, the connection still works', async () => {
    const node = await startMemcached({ extraArgs: ['-I', '1m'] });
    const store = open(node, 2000);
    try {
      const outcomes: string[] = [];
      store.observeOutcomes((_, outcome) => outcomes.push(outcome));
      const cas = (await store.addWithCas('k', Buffer.from('v'), 60)) as bigint;
      const big = Buffer.alloc(2 * 1024 * 1024, 1);
      await expect(store.setIfCas('k', big, 60, cas)).rejects.toMatchObject({ code: 'E_VALUE_TOO_LARGE' });
      await expect(store.addWithCas('big', big, 60)).rejects.toMatchObject({ code: 'E_VALUE_TOO_LARGE' });
      // (memcached drops the item a too-large write would have replaced: no stale copy outlives it)
      const after = (await store.addWithCas('after', Buffer.from('in step'), 60)) as bigint;
      expect(await store.getWithCas('after')).toEqual({ value: Buffer.from('in step'), cas: after });
      expect(outcomes).toEqual(['ok', 'ok', 'ok']);
    } finally {
      await store.close();
      await node.close();
    }
  });
});
