/**
 * A per-process cap on concurrent loader calls, first come first served: where cross-process
 * coordination fails (a node died, locks scatter), the database still sees a bounded load.
 *
 * A queued call waits at most `maxWaitMs` for a slot (the call's wait budget), then runs anyway. Without
 * that bound the cap could deadlock: a loader that calls another cached function holds its slot while the
 * inner load queues for one, and once every slot is held that way nothing ever moves again.
 */
export class LoadLimiter {
  #running = 0;
  readonly #queue: Array<() => void> = [];

  constructor(readonly max: number) {}

  /** Loader calls waiting for a slot. */
  get queued(): number {
    return this.#queue.length;
  }

  async run<T>(task: () => Promise<T>, maxWaitMs = Number.POSITIVE_INFINITY): Promise<T> {
    let hasSlot = true;
    if (this.#running < this.max) this.#running++;
    else hasSlot = await this.#waitForSlot(maxWaitMs);
    try {
      return await task();
    } finally {
      if (hasSlot) this.#release();
    }
  }

  /** Resolves true when a finished call hands over its slot, false when `maxWaitMs` passed first. */
  #waitForSlot(maxWaitMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const handOver = () => {
        clearTimeout(timer);
        resolve(true);
      };
      if (Number.isFinite(maxWaitMs)) {
        timer = setTimeout(() => {
          const at = this.#queue.indexOf(handOver);
          if (at === -1) return; // handed a slot meanwhile
          this.#queue.splice(at, 1);
          resolve(false);
        }, maxWaitMs);
      }
      this.#queue.push(handOver);
    });
  }

  #release(): void {
    const next = this.#queue.shift();
    // The slot passes straight to the next waiter, so a newcomer cannot jump the queue.
    if (next) next();
    else this.#running--;
  }
}
