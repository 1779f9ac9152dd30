/** The HTTP layer's error code (part of the public `ErrorCode`) and its error. */
import { StampedeGuardError } from '../errors.js';

export type HttpErrorCode = 'E_RENDER_FAILED';

/**
 * A render nobody may share (5xx, or closed before its end): the cache treats it as a failed load, so
 * nothing is stored, the lock is released at once and joiners get this error (or, with `staleIfError`,
 * the stale page); `load:error` events carry it.
 */
export class RenderFailedError extends StampedeGuardError<HttpErrorCode> {
  constructor(
    readonly reason: 'server-error' | 'aborted',
    key: string,
  ) {
    super('E_RENDER_FAILED', `The render of "${key}" cannot be shared: ${reason}`, { key });
  }
}
