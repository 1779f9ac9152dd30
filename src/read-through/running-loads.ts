/**
 * The loader calls running in this process, each with its own AbortSignal (`ctx.signal`): one that outlives
 * `hardTimeoutMs`, or that `close()` abandons, has its signal aborted and its promise rejected with a
 * `LoadTimeoutError`, whether or not the loader ever settles. Its late result is ignored.
 */
import { LoadTimeoutError } from '../errors.js';

type Abandon = () => void;

export class RunningLoads {
  readonly #running = new Set<Abandon>();
  #abandoned = false;

  /** Runs `load` with a signal of its own; `hardTimeoutMs` 0 lets it run as long as it takes. */
  run<T>(key: string, hardTimeoutMs: number, load: (signal: AbortSignal) => T | Promise<T>): Promise<T> {
    const controller = new AbortController();
    const started = performance.now();
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settled = () => {
        clearTimeout(timer);
        this.#running.delete(abandon);
      };
      const end = (why: string) => {
        settled();
        const error = new LoadTimeoutError(key, Math.round(performance.now() - started), why);
        controller.abort(error);
        reject(error);
      };
      const abandon = () => end('closeTimeoutMs');
      if (this.#abandoned) return abandon();
      this.#running.add(abandon);
      if (hardTimeoutMs > 0) timer = setTimeout(() => end('hardTimeoutMs'), hardTimeoutMs);
      // A promise executor: a loader that throws synchronously rejects like one that rejects.
      new Promise<T>((loaded) => loaded(load(controller.signal))).then(
        (value) => {
          settled();
          resolve(value);
        },
        (error: unknown) => {
          settled();
          reject(error);
        },
      );
    });
  }

  /** Ends every load running now, and any started later, with a `LoadTimeoutError` (the cache is closing). */
  abandon(): void {
    this.#abandoned = true;
    for (const abandon of [...this.#running]) abandon();
  }
}
