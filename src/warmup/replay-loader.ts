/**
 * Replaying a loader entry: the plain function is wrapped with `cache.cached(name, ...)` under the name
 * the application uses, so the call builds the same key and goes through the same read-through: a hit is
 * a skip, a miss takes the `safe-` lock (always, whatever the safe mode: the warmup may start before this
 * process could notice that memcached restarted) and a lock held by live traffic means waiting for it.
 */
import type { Cache } from '../cache.js';
import { StampedeGuardError } from '../errors.js';
import type { WarmLoader } from './crawler-options.js';

/** How a replayed entry ended: loaded by this run, or found cached (or loaded by someone else meanwhile). */
/** How one entry ended (failures are thrown). `uncacheable`: a URL the middleware served without storing. */
export type Outcome = 'warmed' | 'skipped' | 'uncacheable';

/** One attempt of a warmup entry took longer than `timeoutMs` (a summary's failure carries it). */
export class AttemptTimeoutError extends StampedeGuardError<'E_WARMUP_TIMEOUT'> {
  constructor(timeoutMs: number) {
    super('E_WARMUP_TIMEOUT', `timed out after ${timeoutMs} ms`);
  }
}

/** The attempts of one entry. Retries join the first attempt's load if it is still running (in-process). */
export function loaderAttempts(
  cache: Cache,
  loader: WarmLoader,
  entry: { key: string; name: string; args: unknown[] },
  force: boolean,
  timeoutMs: number,
): (attempt: number) => Promise<Outcome> {
  const { fn, options } = typeof loader === 'function' ? { fn: loader, options: undefined } : loader;
  // One flag for every attempt of the entry: a retry that joins a load started by an earlier attempt
  // still counts as warmed.
  let loaded = false;
  const call = cache.cached(
    entry.name,
    (...args: unknown[]) => {
      loaded = true;
      return fn(...args);
    },
    { ...options, lock: true },
  );
  return async (attempt) => {
    if (force && attempt === 1) await cache.delete(entry.key);
    await withTimeout(call(...entry.args), timeoutMs);
    return loaded ? 'warmed' : 'skipped';
  };
}

/** Checks a loader's options once, before any entry runs (`cached()` validates them). */
export function checkLoader(cache: Cache, name: string, loader: WarmLoader): void {
  const { fn, options } = typeof loader === 'function' ? { fn: loader, options: undefined } : loader;
  cache.cached(name, fn, { ...options, lock: true });
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimeoutError(timeoutMs)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
