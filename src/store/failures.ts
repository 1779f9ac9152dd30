/**
 * The health meaning of a store failure, read from its error class and its socket error code: transports
 * turn their client's failures into these classes (memjs: `memjs/errors.ts`), so nothing above the store
 * reads message text. A refused connection (or one reset while connecting) means down at once; a timeout
 * means hung; a reset connection or another error counts towards `downAfter`. An answer that refuses a
 * write (too large, out of memory) comes from a live node, and node-down routing made no call: no evidence.
 */
import type { StoreError } from '../errors.js';
import type { FailureKind } from './node-pool.js';

/** Nobody listens there: the node is down, now. */
const REFUSED_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND']);
/** An open connection broke: the node died, or restarted and is already back. Evidence, not proof. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);

export function failureKind(error: StoreError): FailureKind | null {
  if (error.code === 'E_STORE_TIMEOUT') return 'timeout';
  if (error.code !== 'E_STORE') return null;
  const cause = error.cause as NodeJS.ErrnoException | undefined;
  const code = cause?.code;
  if (typeof code !== 'string') return 'error';
  if (REFUSED_CODES.has(code) || isRefusedConnect(cause as NodeJS.ErrnoException)) return 'refused';
  if (RESET_CODES.has(code)) return 'reset';
  return 'error';
}

/**
 * Whether a connection attempt met nobody listening: refused, or reset while connecting (the listener
 * closed with our connection still in its queue: memcached exiting). Either answers at once, so trying
 * again costs one round trip.
 */
export function isRefusedConnect(cause: NodeJS.ErrnoException): boolean {
  return cause.code === 'ECONNREFUSED' || (cause.code === 'ECONNRESET' && cause.syscall === 'connect');
}
