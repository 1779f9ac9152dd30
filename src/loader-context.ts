/**
 * What a loader may say about the value it is producing: a different TTL (say, from a response's
 * Cache-Control max-age) or "do not store this" (a personalised or failed response). The value still
 * goes to every caller joined on this load.
 */
import { checkTags, checkTtl } from './options.js';

export interface LoaderContext {
  /** The key as given to `wrap()`. */
  readonly key: string;
  /**
   * True for a background refresh (grace, early refresh): the call that found the stale value has been
   * answered already, so the loader must not rely on anything tied to it (a request, a response).
   */
  readonly background: boolean;
  /**
   * Aborted when the cache gives up on this load (`hardTimeoutMs`, or `close()` after `closeTimeoutMs`),
   * with a `LoadTimeoutError` as its reason: pass it to your query or fetch so it stops too.
   */
  readonly signal: AbortSignal;
  /**
   * Seconds this value stays fresh, instead of the call's `ttl`; bounded like `ttl` (above 0, at most
   * 365 days). Throws `InvalidOptionError` naming `setTtl()` otherwise.
   */
  setTtl(seconds: number): void;
  /** Return the value to this load's callers without storing it. */
  noStore(): void;
  /**
   * Keep the value only while it is fresh: whatever the call's `grace` and `staleIfError`, it is never
   * served stale nor refreshed in the background (early or in grace); past its TTL it is a miss. For
   * short-lived answers such as the middleware's "not cacheable" marker.
   */
  noStale(): void;
  /**
   * Tags for the stored entry, besides the call's `tags` (the HTTP middleware names a page's tags from its
   * `Surrogate-Key` this way): `invalidateTags()` of any of them invalidates the entry. Tags named here are
   * read when the load ends, not before it starts: if any tag is invalidated while the load runs, its value
   * is not stored (returned to its callers only). Throws `InvalidOptionError` naming `addTags()` for
   * anything but non-empty strings.
   */
  addTags(tags: readonly string[]): void;
}

export type Loader<T> = (context: LoaderContext) => T | Promise<T>;

/** The context handed to one loader call, and what the loader said through it. */
export class LoaderDirectives implements LoaderContext {
  ttl: number | undefined;
  store = true;
  stale = true;
  tags: string[] = [];

  constructor(
    readonly key: string,
    readonly background: boolean,
    readonly signal: AbortSignal,
  ) {}

  setTtl(seconds: number): void {
    checkTtl('setTtl()', seconds); // the bounds of the `ttl` option: memcached would refuse the write
    this.ttl = seconds;
  }

  noStore(): void {
    this.store = false;
  }

  noStale(): void {
    this.stale = false;
  }

  addTags(tags: readonly string[]): void {
    checkTags('addTags()', tags);
    for (const tag of tags) if (!this.tags.includes(tag)) this.tags.push(tag);
  }
}
