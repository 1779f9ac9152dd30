/**
 * In-process coalescing: while a call for a key is in flight, later calls for the same key join it
 * instead of starting their own. So one process never sends more than one contender for a key to
 * memcached, and every joiner gets the same value or the same error. Each flight carries the `meta` its
 * starter gave (the read request, which says how it was answered), so joiners can read it too.
 */
export class Singleflight<T, M = undefined> {
  readonly #inflight = new Map<string, { promise: Promise<T>; meta: M }>();

  /** Runs `fn` unless a call for `key` is in flight; `joined` says which happened. */
  run(
    key: string,
    fn: () => Promise<T>,
    meta: M = undefined as M,
  ): { promise: Promise<T>; joined: boolean; meta: M } {
    const current = this.#inflight.get(key);
    if (current) return { promise: current.promise, joined: true, meta: current.meta };
    const promise = fn();
    this.#inflight.set(key, { promise, meta });
    // Registered before any caller awaits, so the entry is gone by the time callers resume.
    promise.then(
      () => this.#forget(key, promise),
      () => this.#forget(key, promise),
    );
    return { promise, joined: false, meta };
  }

  /** Deletes only our own entry: a later call may have started a new flight for the key after us. */
  #forget(key: string, promise: Promise<T>): void {
    if (this.#inflight.get(key)?.promise === promise) this.#inflight.delete(key);
  }

  get size(): number {
    return this.#inflight.size;
  }

  /** Settles when every call in flight now has settled (whatever its outcome). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#inflight.values()].map((flight) => flight.promise));
  }
}
