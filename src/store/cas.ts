/**
 * memcached's compare-and-swap, as the store seam names it. Its own file so both `store.ts` (Store) and
 * `node-pool.ts` (PoolNode) can name it without importing each other.
 */
import { InvalidOptionError } from '../errors.js';

/** memcached's 64-bit CAS: the server's version of one item. Opaque to callers. */
export type CasToken = bigint;

/** A value with the CAS of the item it was read from. */
export interface CasValue {
  value: Buffer;
  cas: CasToken;
}

/** Why a write that compared a CAS did not store: someone wrote the item since, or it is gone. */
export type CasMismatch = 'changed' | 'missing';

/** The outcome of a delete that compared a CAS. */
export type CasDeleteOutcome = 'deleted' | CasMismatch;

/** Throws InvalidOptionError for anything but an unsigned 64-bit bigint, before anything is sent. */
export function checkCasToken(cas: CasToken): void {
  if (typeof cas !== 'bigint' || cas < 0n || cas >= 2n ** 64n) {
    throw new InvalidOptionError('cas', 'a CAS token (an unsigned 64-bit bigint)', cas);
  }
}
