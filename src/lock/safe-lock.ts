/**
 * The cross-process `safe-<key>` lock: memcached `add` (atomic: exactly one contender stores it) with a
 * token unique to this process and call, a TTL so a crashed holder loses it, a heartbeat so a slow but
 * alive holder keeps it, and a release that deletes only a lock that still carries our token. The lock's
 * value also says how long the holder expects its load to take (lock-value.ts), for the waiters.
 *
 * memjs has no CAS, so the owner checks are get-then-act: a lock that expires in the instant between our
 * get and our delete could be another worker's. The heartbeat keeps a live holder's lock far from expiry,
 * which makes that window practically unreachable.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { lockKeyOf } from '../keys.js';
import type { Store } from '../store/store.js';
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
   * known) to the waiters. Resolves a held lock, or null when another holds it.
   */
  async tryAcquire(storeKey: string, estimateMs: number | null = null): Promise<HeldLock | null> {
    callCounter = (callCounter + 1) % Number.MAX_SAFE_INTEGER;
    const token = `${PROCESS_TOKEN}/${callCounter}`;
    const value = encodeLockValue({ token, estimateMs, startedAtMs: Date.now() });
    const won = await this.#store.add(lockKeyOf(storeKey), value, this.#lockTtl, { route: storeKey });
    return won ? new HeldLock(this.#store, storeKey, token, this.#lockTtl) : null;
  }

  /** The lock of `storeKey` as its holder wrote it, or null when nobody holds it. */
  async read(storeKey: string): Promise<LockValue | null> {
    const bytes = await this.#store.get(lockKeyOf(storeKey), { route: storeKey });
    return bytes && decodeLockValue(bytes);
  }
}

export class HeldLock {
  readonly #store: Store;
  readonly #storeKey: string;
  readonly #token: string;
  readonly #lockTtl: number;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(store: Store, storeKey: string, token: string, lockTtl: number) {
    this.#store = store;
    this.#storeKey = storeKey;
    this.#token = token;
    this.#lockTtl = lockTtl;
  }

  /** Extends the lock every half TTL while the loader runs, as long as it is still ours. */
  startHeartbeat(onExtended?: () => void): void {
    if (this.#heartbeat) return;
    const everyMs = (this.#lockTtl * 1000) / 2;
    this.#heartbeat = setInterval(() => void this.#extend(onExtended), everyMs);
    this.#heartbeat.unref();
  }

  /** Stops the heartbeat and deletes the lock if it is still ours. Resolves whether it was; never rejects. */
  async release(): Promise<boolean> {
    this.#stopHeartbeat();
    try {
      if (!(await this.#isOurs())) return false;
      return await this.#store.delete(lockKeyOf(this.#storeKey), { route: this.#storeKey });
    } catch {
      // The lock expires by itself within lockTtl; a failed release must not fail the caller.
      return false;
    }
  }

  async #extend(onExtended: (() => void) | undefined): Promise<void> {
    try {
      if (!(await this.#isOurs())) {
        this.#stopHeartbeat();
        return;
      }
      if (await this.#store.touch(lockKeyOf(this.#storeKey), this.#lockTtl, { route: this.#storeKey }))
        onExtended?.();
    } catch {
      // A missed beat is retried on the next tick; the TTL covers two of them.
    }
  }

  async #isOurs(): Promise<boolean> {
    const current = await this.#store.get(lockKeyOf(this.#storeKey), { route: this.#storeKey });
    return current !== null && decodeLockValue(current).token === this.#token;
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
