/** The safe- lock over MemoryStore: CAS-checked heartbeat and release, and calls whose answer was lost. */
import { describe, expect, it } from 'vitest';
import { StoreTimeoutError } from '../../src/errors.js';
import { lockKeyOf } from '../../src/keys.js';
import { SafeLock } from '../../src/lock/safe-lock.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { CasMismatch, CasToken, StoreCallOptions } from '../../src/store/store.js';
import { CountingStore } from '../support/counting-store.js';
import { sleep } from '../support/deferred.js';

/** Its setIfCas calls land, but the caller hears a timeout (the answer was lost). */
class LostAnswers extends CountingStore {
  override async setIfCas(
    key: string,
    value: Buffer,
    ttl: number,
    cas: CasToken,
    options?: StoreCallOptions,
  ): Promise<CasToken | CasMismatch> {
    await super.setIfCas(key, value, ttl, cas, options);
    throw new StoreTimeoutError('set', 'memory', 100);
  }
}

describe('SafeLock', () => {
  it('takes the lock once, and only its holder’s release deletes it', async () => {
    const store = new MemoryStore();
    const lock = new SafeLock(store, 30);
    const held = await lock.tryAcquire('k', 120);
    expect(held).not.toBeNull();
    expect(await lock.tryAcquire('k')).toBeNull();
    expect((await lock.read('k'))?.estimateMs).toBe(120);
    expect(await held?.release()).toBe(true);
    expect(await lock.read('k')).toBeNull();
    const next = await lock.tryAcquire('k');
    expect(await held?.release()).toBe(true); // the first answer again: nothing is sent
    expect(await lock.read('k')).not.toBeNull();
    expect(await next?.release()).toBe(true);
  });

  it('a beat that landed but whose answer was lost does not cost the holder its release', async () => {
    const store = new MemoryStore();
    const held = await new SafeLock(new LostAnswers(store), 0.05).tryAcquire('k');
    held?.startHeartbeat();
    await sleep(80); // a beat or two: each changed the CAS without telling the holder
    expect(await held?.release()).toBe(true);
    expect(await store.get(lockKeyOf('k'))).toBeNull();
  });
});
