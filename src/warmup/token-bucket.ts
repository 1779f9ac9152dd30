/**
 * A token bucket of one token (no bursts: starts are evenly spaced, which is what spares a database) that
 * hands out reservations: `take()` claims the next token at once (the balance may go negative) and sleeps
 * until it is due, so concurrent callers are served in call order at `ratePerSec`.
 */
export class TokenBucket {
  readonly #ratePerMs: number;
  #tokens = 1;
  #last = performance.now();

  constructor(ratePerSec: number) {
    this.#ratePerMs = ratePerSec / 1000;
  }

  /** Resolves when the token is due; rejects with the signal's reason if aborted before. */
  async take(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const now = performance.now();
    this.#tokens = Math.min(1, this.#tokens + (now - this.#last) * this.#ratePerMs);
    this.#last = now;
    this.#tokens -= 1;
    if (this.#tokens >= 0) return;
    await sleep(-this.#tokens / this.#ratePerMs, signal);
  }
}

/** An abortable sleep on the global timer (so fake timers drive it in tests). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
