/**
 * Which loads the current code runs inside, carried by AsyncLocalStorage across awaits: a loader that asks
 * for a key it is itself loading (directly or through other keys) would wait for itself, so that call is
 * refused at once. Looked up only where a call would join a flight or start a load, never on a hit.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { RecursiveLoadError } from '../errors.js';
import type { EntryKey } from './entries.js';

const chain = new AsyncLocalStorage<readonly EntryKey[]>();

/** Runs a loader call as a load of `key`, inside whatever loads called it. */
export function withinLoad<T>(key: EntryKey, run: () => T): T {
  const outer = chain.getStore();
  return chain.run([...(outer ?? []), { key: key.key, storeKey: key.storeKey }], run);
}

/** The error for a call on `key` made inside a load of that same key; undefined when there is none. */
export function recursionOn(key: EntryKey): RecursiveLoadError | undefined {
  const loads = chain.getStore();
  if (!loads) return undefined;
  const first = loads.findIndex((load) => load.storeKey === key.storeKey);
  if (first < 0) return undefined;
  return new RecursiveLoadError([...loads.slice(first).map((load) => load.key), key.key]);
}
