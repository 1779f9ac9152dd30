/**
 * Purging one key so that no load in flight can undo it (load-guard.ts): a purge never leaves the key
 * absent, it writes it, which changes the item's CAS.
 *
 * - hard (`delete()`): a tombstone that reads as absent, living `markerTtl` (longer than any lock);
 * - soft (`invalidate()`): the entry rewritten as invalidated (never fresh again, servable stale from now
 *   within grace and stale-if-error), by compare-and-swap so a value stored meanwhile is invalidated too;
 *   an absent key gets a tombstone (there is nothing to serve stale).
 */
import { encodeTombstone, invalidatedCopy, isTombstone } from '../envelope.js';
import type { Store } from '../store/store.js';

/** Compare-and-swap attempts of a soft purge before it falls back to a tombstone (never weaker than asked). */
const MAX_CAS_ATTEMPTS = 4;

/** Writes a tombstone; resolves whether an entry was there (read in the same tick, before the write). */
export async function hardPurge(store: Store, storeKey: string, markerTtl: number): Promise<boolean> {
  const [before] = await Promise.all([
    store.get(storeKey),
    store.set(storeKey, encodeTombstone(), markerTtl),
  ]);
  return before !== null && !isTombstone(before);
}

/**
 * Marks the entry invalidated, kept `keepSeconds` (at least `markerTtl`) for readers' stale windows.
 * Resolves whether an entry was there to invalidate.
 */
export async function softPurge(
  store: Store,
  storeKey: string,
  markerTtl: number,
  keepSeconds: number,
): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const item = await store.getWithCas(storeKey);
    const copy = item && invalidatedCopy(item.value, Date.now());
    if (!item || !copy) {
      await store.set(storeKey, encodeTombstone(), markerTtl);
      return false;
    }
    const outcome = await store.setIfCas(storeKey, copy, Math.max(markerTtl, keepSeconds), item.cas);
    if (typeof outcome === 'bigint') return true;
  }
  await store.set(storeKey, encodeTombstone(), markerTtl);
  return true;
}
