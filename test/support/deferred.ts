/** A promise with its resolve/reject exposed: holds a loader until the test releases it. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A test may reject before the code under test has subscribed: that is not an unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A loader factory that takes `ms` and records the most calls running at once (`peak()`). */
export function concurrencyProbe(ms = 20) {
  let running = 0;
  let peak = 0;
  const loader =
    <V>(value: V) =>
    async (): Promise<V> => {
      peak = Math.max(peak, ++running);
      await sleep(ms);
      running--;
      return value;
    };
  return { loader, peak: () => peak };
}
