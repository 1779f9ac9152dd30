/**
 * What loading each key cost last time, as this process learned it (from its own loads and from the
 * entries its waiters received). The lock holder publishes it to the waiters when the entry itself is
 * gone: with no `grace` or `staleIfError`, memcached drops an entry when it expires, cost and all.
 * Bounded: the least recently learned keys are forgotten first.
 */
export class CostMemory {
  readonly #costs = new Map<string, number>();
  readonly #capacity: number;

  constructor(capacity = 4096) {
    this.#capacity = capacity;
  }

  learn(storeKey: string, costMs: number): void {
    if (!(costMs > 0)) return; // 0: written by set(), or a stale value standing in for an error
    this.#costs.delete(storeKey); // re-inserted last: Map order is the eviction order
    this.#costs.set(storeKey, costMs);
    if (this.#costs.size > this.#capacity) this.#costs.delete(this.#costs.keys().next().value as string);
  }

  /** The last cost learned for `storeKey`, or null. */
  get(storeKey: string): number | null {
    return this.#costs.get(storeKey) ?? null;
  }
}
