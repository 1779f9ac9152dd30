/**
 * The safe- lock never touches another worker's lock, on both transports and real memcached. The window is
 * made deterministic: the holder's lock (lockTtl 1 s) expires and another worker takes it while the holder's
 * release or heartbeat is held back by a gate just before it reaches the store. 0.1 checked ownership with a
 * get, then deleted or touched: through that window it deleted, or cut short, the new holder's lock.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { lockKeyOf } from '../../src/keys.js';
import { decodeLockValue } from '../../src/lock/lock-value.js';
import { SafeLock } from '../../src/lock/safe-lock.js';
import type { Protocol } from '../../src/options.js';
import { MemcachedStore } from '../../src/store/memjs/memcached-store.js';
import { MetaStore } from '../../src/store/meta/meta-store.js';
import type { RendezvousPool } from '../../src/store/rendezvous-pool.js';
import type { CasToken, StoreCallOptions } from '../../src/store/store.js';
import { CountingStore } from '../support/counting-store.js';
import { deferred, sleep } from '../support/deferred.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';

afterAll(stopAllMemcached);

/** Holds every write that acts on an existing lock (delete, touch, and their CAS forms) until `open()`. */
class GatedStore extends CountingStore {
  readonly #gate = deferred();
  /** Resolves when the first held call arrived. */
  readonly arrived = deferred();

  open(): void {
    this.#gate.resolve();
  }

  async #hold(): Promise<void> {
    this.arrived.resolve();
    await this.#gate.promise;
  }

  override async delete(key: string, options?: StoreCallOptions) {
    await this.#hold();
    return super.delete(key, options);
  }
  override async deleteIfCas(key: string, cas: CasToken, options?: StoreCallOptions) {
    await this.#hold();
    return super.deleteIfCas(key, cas, options);
  }
  override async touch(key: string, ttl: number, options?: StoreCallOptions) {
    await this.#hold();
    return super.touch(key, ttl, options);
  }
  override async setIfCas(
    key: string,
    value: Buffer,
    ttl: number,
    cas: CasToken,
    options?: StoreCallOptions,
  ) {
    await this.#hold();
    return super.setIfCas(key, value, ttl, cas, options);
  }
}

describe.each(['binary', 'meta'] as const satisfies readonly Protocol[])(
  'safe- lock ownership (%s)',
  (protocol) => {
    let node: MemcachedProcess;
    let store: RendezvousPool;

    const open = async () => {
      node = await startMemcached();
      const servers = [{ address: node.address, weight: 1 }];
      store =
        protocol === 'meta'
          ? new MetaStore({ servers, opTimeoutMs: 1000 })
          : new MemcachedStore({ servers, opTimeoutMs: 1000 });
    };
    const close = async () => {
      await store.close();
      await node.close();
    };
    /** Waits until memcached has dropped the expired lock of `key`. */
    const expired = (key: string) =>
      expect.poll(() => store.get(lockKeyOf(key)), { timeout: 5000, interval: 50 }).toBeNull();
    const holderOf = async (key: string) => {
      const bytes = await store.get(lockKeyOf(key));
      return bytes && decodeLockValue(bytes).token;
    };

    it('a holder whose lock expired and was retaken does not delete the new holder’s lock', async () => {
      await open();
      try {
        const gated = new GatedStore(store);
        const first = await new SafeLock(gated, 1).tryAcquire('k');
        expect(first).not.toBeNull();
        const release = first?.release() as Promise<boolean>;
        await gated.arrived.promise; // the release is on its way, past any ownership check
        await expired('k');
        const second = await new SafeLock(store, 30).tryAcquire('k');
        expect(second).not.toBeNull();
        const secondToken = await holderOf('k');
        gated.open();
        expect(await release).toBe(false);
        expect(await holderOf('k')).toBe(secondToken);
        expect(await second?.release()).toBe(true);
        expect(await store.get(lockKeyOf('k'))).toBeNull();
      } finally {
        await close();
      }
    });

    it('a holder whose lock expired and was retaken does not extend the new holder’s lock', async () => {
      await open();
      try {
        const gated = new GatedStore(store);
        const first = await new SafeLock(gated, 1).tryAcquire('h');
        first?.startHeartbeat();
        await gated.arrived.promise; // the first beat (after 0.5 s) is on its way
        await expired('h');
        const second = await new SafeLock(store, 30).tryAcquire('h');
        const secondToken = await holderOf('h');
        gated.open();
        await sleep(100); // the beat lands
        expect(await first?.release()).toBe(false);
        // An extension by the first holder would have cut the lock to its own 1 s TTL (2 s in memcached).
        await sleep(3000);
        expect(await holderOf('h')).toBe(secondToken);
        expect(await second?.release()).toBe(true);
      } finally {
        await close();
      }
    });

    it('a live holder keeps its lock through heartbeats past its TTL, and its release deletes it', async () => {
      await open();
      try {
        const held = await new SafeLock(store, 1).tryAcquire('live');
        let beats = 0;
        held?.startHeartbeat(() => beats++);
        await sleep(3000);
        expect(beats).toBeGreaterThanOrEqual(1); // (about 6 on a quiet machine)
        expect(await holderOf('live')).not.toBeNull();
        expect(await new SafeLock(store, 1).tryAcquire('live')).toBeNull();
        expect(await held?.release()).toBe(true);
        expect(await store.get(lockKeyOf('live'))).toBeNull();
      } finally {
        await close();
      }
    });
  },
);
