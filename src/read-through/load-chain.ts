/**
 * Which loads the current code runs inside, carried by AsyncLocalStorage across awaits: a loader that asks
 * for a key it is itself loading (directly or through other keys) would wait for itself, so that call is
 * refused at once. Looked up only where a call would join a flight or start a load, never on a hit.
 *
 * On Node 20 an enabled AsyncLocalStorage hooks every promise the process creates (a hit pays for it too:
 * measured ~20% of a MemoryStore hit), so the storage is enabled only while a load runs and disabled when
 * the last one settles.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { RecursiveLoadError } from '../errors.js';
import type { EntryKey } from './entries.js';

interface Link extends EntryKey {
  /** False once the load settled: work its loader left behind (a timer, an unawaited call) is no recursion. */
  running: boolean;
}

const chain = new AsyncLocalStorage<readonly Link[]>();
/** Loader calls running in this process: the storage is enabled while there is one. */
let running = 0;

/** One loader call of `key`, run inside whatever loads called it. */
export class LoadLink {
  readonly #link: Link;
  #started = false;

  constructor(key: EntryKey) {
    this.#link = { key: key.key, storeKey: key.storeKey, running: true };
  }

  /** At most once per link; `end()` after it, whether or not it ran. */
  run<T>(loader: () => T): T {
    running++;
    this.#started = true;
    return chain.run([...(chain.getStore() ?? []), this.#link], loader);
  }

  end(): void {
    this.#link.running = false;
    if (!this.#started) return;
    this.#started = false;
    if (--running === 0) chain.disable(); // run() enables it again
  }
}

/** The error for a call on `key` made inside a running load of that same key; undefined when there is none. */
export function recursionOn(key: EntryKey): RecursiveLoadError | undefined {
  const loads = chain.getStore();
  if (!loads) return undefined;
  const first = loads.findIndex((load) => load.running && load.storeKey === key.storeKey);
  if (first < 0) return undefined;
  const chainKeys = loads.slice(first).flatMap((load) => (load.running ? [load.key] : []));
  return new RecursiveLoadError([...chainKeys, key.key]);
}
