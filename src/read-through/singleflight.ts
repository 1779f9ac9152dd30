/**
 * In-process coalescing: while a call for a key is in flight, later calls for the same key join it
 * instead of starting their own. So one process never sends more than one contender for a key to
 * memcached, and every joiner gets the same value or the same error.
 */
export class Singleflight<T> {
  readonly #inflight = new Map<string, Promise<T>>();

  /** Runs `fn` unless a call for `key` is in flight; `joined` says which happened. */
  run(key: string, fn: () => Promise<T>): { promise: Promise<T>; joined: boolean } {
    const current = this.#inflight.get(key);
    if (current) return { promise: current, joined: true };
    const promise = fn();
    this.#inflight.set(key, promise);
    // Registered before any caller awaits, so the entry is gone by the time callers resume.
    promise.then(
      () => this.#forget(key, promise),
      () => this.#forget(key, promise),
    );
    return { promise, joined: false };
  }

  /** Deletes only our own entry: a later call may have started a new flight for the key after us. */
  #forget(key: string, promise: Promise<T>): void {
    if (this.#inflight.get(key) === promise) this.#inflight.delete(key);
  }

  get size(): number {
    return this.#inflight.size;
  }

  /** Settles when every call in flight now has settled (whatever its outcome). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#inflight.values()]);
  }
}
