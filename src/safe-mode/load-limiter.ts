/**
 * A per-process cap on concurrent loader calls, first come first served: where cross-process
 * coordination fails (a node died, locks scatter), the database still sees a bounded load.
 */
export class LoadLimiter {
  #running = 0;
  readonly #queue: Array<() => void> = [];

  constructor(readonly max: number) {}

  /** Loader calls waiting for a slot. */
  get queued(): number {
    return this.#queue.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.max) await new Promise<void>((resolve) => this.#queue.push(resolve));
    else this.#running++;
    try {
      return await task();
    } finally {
      const next = this.#queue.shift();
      // The slot passes straight to the next waiter, so a newcomer cannot jump the queue.
      if (next) next();
      else this.#running--;
    }
  }
}
