/**
 * The cross-process `safe-<key>` lock, atomic on every transport through memcached's CAS:
 *
 * - take: `addWithCas` (exactly one contender stores it) of a value carrying a token unique to this process
 *   and call, with a TTL so a crashed holder loses it. The CAS it returns is our proof of ownership.
 * - heartbeat, every half TTL while the loader runs: `setIfCas` of the same value with our CAS. It extends
 *   only the item we stored: if the lock expired and another worker took it, the CAS differs and nothing is
 *   written. Each beat returns the item's new CAS, which we keep.
 * - release: `deleteIfCas` with our CAS: deletes our lock and never another's, in one call.
 *
 * A beat or release whose answer was lost (a timeout) may have changed the CAS without telling us: on
 * `'changed'` the lock is read once with its CAS, and if it still carries our token that CAS is ours. The
 * value also says how long the holder expects its load to take (lock-value.ts), for the waiters.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { lockKeyOf } from '../keys.js';
import type { CasToken, Store, StoreCallOptions } from '../store/store.js';
import { decodeLockValue, encodeLockValue, type LockValue } from './lock-value.js';

const PROCESS_TOKEN = `${hostname()}/${process.pid}/${randomBytes(6).toString('hex')}`;
let callCounter = 0;

export class SafeLock {
  readonly #store: Store;
  /** Seconds the lock lives without a heartbeat. */
  readonly #lockTtl: number;

  constructor(store: Store, lockTtl: number) {
    this.#store = store;
    this.#lockTtl = lockTtl;
  }

  /**
   * Tries once to take the lock of `storeKey`, publishing `estimateMs` (what the load cost last time, if
   * known) to the waiters. Resolves a held lock, or null when another holds it. The add is sent at once
   * (within this call), so a read issued right after it travels in the same batch and is answered after it.
   */
  async tryAcquire(storeKey: string, estimateMs: number | null = null): Promise<HeldLock | null> {
    callCounter = (callCounter + 1) % Number.MAX_SAFE_INTEGER;
    const token = `${PROCESS_TOKEN}/${callCounter}`;
    const value = encodeLockValue({ token, estimateMs, startedAtMs: Date.now() });
    const route = { route: storeKey };
    const cas = await this.#store.addWithCas(lockKeyOf(storeKey), value, this.#lockTtl, route);
    if (cas === null) return null;
    return new HeldLock(
      { store: this.#store, key: lockKeyOf(storeKey), route, token, value, cas },
      this.#lockTtl,
    );
  }

  /** The lock of `storeKey` as its holder wrote it, or null when nobody holds it. */
  async read(storeKey: string): Promise<LockValue | null> {
    const bytes = await this.#store.get(lockKeyOf(storeKey), { route: storeKey });
    return bytes && decodeLockValue(bytes);
  }
}

/** What a holder knows of the lock item it stored. */
interface Ownership {
  readonly store: Store;
  readonly key: string;
  readonly route: StoreCallOptions;
  readonly token: string;
  /** The bytes we stored: a beat stores them again. */
  readonly value: Buffer;
  /** The CAS of our item as last seen: changes with every beat. */
  cas: CasToken;
}

export class HeldLock {
  readonly #own: Ownership;
  readonly #lockTtl: number;
  #heartbeat: NodeJS.Timeout | undefined;
  /** The beat in flight, if any: a release waits for it, since it changes our CAS. */
  #beat: Promise<void> | undefined;
  /** Set once the lock is known lost or released: no more beats. */
  #over = false;
  #release: Promise<boolean> | undefined;

  constructor(own: Ownership, lockTtl: number) {
    this.#own = own;
    this.#lockTtl = lockTtl;
  }

  /** Extends the lock every half TTL while the loader runs, as long as it is still ours. */
  startHeartbeat(onExtended?: () => void): void {
    if (this.#heartbeat || this.#over) return;
    const everyMs = (this.#lockTtl * 1000) / 2;
    this.#heartbeat = setInterval(() => {
      if (this.#beat) return; // the previous beat is still out: its answer decides the CAS
      this.#beat = this.#extend(onExtended).finally(() => {
        this.#beat = undefined;
      });
    }, everyMs);
    this.#heartbeat.unref();
  }

  /**
   * Stops the heartbeat and deletes the lock if it is still ours (compared by CAS on the server). Resolves
   * whether it was; never rejects. With no beat in flight, the delete is sent within this call, so a write
   * issued just before it shares its batch. Later calls return the first call's answer.
   */
  release(): Promise<boolean> {
    this.#release ??= this.#releaseOnce();
    return this.#release;
  }

  async #releaseOnce(): Promise<boolean> {
    this.#stopHeartbeat();
    this.#over = true;
    try {
      if (this.#beat) await this.#beat;
      const own = this.#own;
      let outcome = await own.store.deleteIfCas(own.key, own.cas, own.route);
      if (outcome === 'changed' && (await this.#refreshCas())) {
        outcome = await own.store.deleteIfCas(own.key, own.cas, own.route);
      }
      return outcome === 'deleted';
    } catch {
      // The lock expires by itself within lockTtl; a failed release must not fail the caller.
      return false;
    }
  }

  async #extend(onExtended: (() => void) | undefined): Promise<void> {
    const own = this.#own;
    try {
      let outcome = await own.store.setIfCas(own.key, own.value, this.#lockTtl, own.cas, own.route);
      if (outcome === 'changed' && !this.#over && (await this.#refreshCas())) {
        outcome = await own.store.setIfCas(own.key, own.value, this.#lockTtl, own.cas, own.route);
      }
      if (typeof outcome !== 'bigint') {
        this.#lost();
        return;
      }
      own.cas = outcome;
      onExtended?.();
    } catch {
      // A missed beat is retried on the next tick; the TTL covers two of them.
    }
  }

  /**
   * After a `'changed'`: reads the lock with its CAS. If it still carries our token, a call of ours whose
   * answer we lost (a timeout) changed it: that CAS is ours. Resolves whether it was.
   */
  async #refreshCas(): Promise<boolean> {
    const own = this.#own;
    const current = await own.store.getWithCas(own.key, own.route);
    if (current === null || decodeLockValue(current.value).token !== own.token) return false;
    own.cas = current.cas;
    return true;
  }

  #lost(): void {
    this.#over = true;
    this.#stopHeartbeat();
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
