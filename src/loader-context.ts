/**
 * What a loader may say about the value it is producing: a different TTL (say, from a response's
 * Cache-Control max-age) or "do not store this" (a personalised or failed response). The value still
 * goes to every caller joined on this load.
 */
import { InvalidOptionError } from './errors.js';

export interface LoaderContext {
  /** The key as given to `wrap()`. */
  readonly key: string;
  /**
   * True for a background refresh (grace, early refresh): the call that found the stale value has been
   * answered already, so the loader must not rely on anything tied to it (a request, a response).
   */
  readonly background: boolean;
  /** Seconds this value stays fresh, instead of the call's `ttl`. */
  setTtl(seconds: number): void;
  /** Return the value to this load's callers without storing it. */
  noStore(): void;
  /**
   * Keep the value only while it is fresh: whatever the call's `grace` and `staleIfError`, it is never
   * served stale nor refreshed in the background (early or in grace); past its TTL it is a miss. For
   * short-lived answers such as the middleware's "not cacheable" marker.
   */
  noStale(): void;
}

export type Loader<T> = (context: LoaderContext) => T | Promise<T>;

/** The context handed to one loader call, and what the loader said through it. */
export class LoaderDirectives implements LoaderContext {
  ttl: number | undefined;
  store = true;
  stale = true;

  constructor(
    readonly key: string,
    readonly background: boolean,
  ) {}

  setTtl(seconds: number): void {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
      throw new InvalidOptionError('setTtl()', 'a finite number of seconds above 0', seconds);
    }
    this.ttl = seconds;
  }

  noStore(): void {
    this.store = false;
  }

  noStale(): void {
    this.stale = false;
  }
}
