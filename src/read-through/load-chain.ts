/**
 * Which loads the current code runs inside, carried by AsyncLocalStorage across awaits: a loader that asks
 * for a key it is itself loading (directly or through other keys) would wait for itself, so that call is
 * refused at once. Looked up only where a call would join a flight or start a load, never on a hit.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { RecursiveLoadError } from '../errors.js';
import type { EntryKey } from './entries.js';

interface Link extends EntryKey {
  /** False once the load settled: work its loader left behind (a timer, an unawaited call) is no recursion. */
  running: boolean;
}

const chain = new AsyncLocalStorage<readonly Link[]>();

/** One loader call of `key`, run inside whatever loads called it. */
export class LoadLink {
  readonly #link: Link;

  constructor(key: EntryKey) {
    this.#link = { key: key.key, storeKey: key.storeKey, running: true };
  }

  run<T>(loader: () => T): T {
    return chain.run([...(chain.getStore() ?? []), this.#link], loader);
  }

  end(): void {
    this.#link.running = false;
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
