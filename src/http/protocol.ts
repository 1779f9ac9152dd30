/**
 * Whole GET/HEAD responses through `wrap()`'s read-through protocol, over node:http types only: what a
 * framework adapter (`src/express/`) wraps into its own middleware.
 *
 * The value under a key is a response record. On a miss the cache calls the loader of the request that
 * started the flight: it runs the handlers behind the middleware with its own `res`, streaming to its
 * client while capturing, and resolves with the record when the response ends (or as soon as it proves
 * not cacheable). Requests joined on that flight in this process, and waiters in other processes, get
 * the record and replay it; they never see the renderer's `res`, so nothing personal reaches them.
 * How a request got its record is what the cache answered (`cache.answer()`), never a guess:
 *
 *   answer ─ hit ────────────────────────────────────────────────▶ HIT
 *          ─ stale (grace, staleIfError, wait timeout) ──────────▶ STALE
 *          ─ waited (for a render here or in another process) ───▶ WAIT (HIT if the page was rendered
 *                                                                   before this request came: it only
 *                                                                   waited for the renderer's write)
 *          ─ this request's own loader ran ──────────────────────▶ MISS (it rendered and was answered)
 *          ─ "not cacheable" marker, failed render ──────────────▶ BYPASS (render yourself, not shared)
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { InvalidOptionError } from '../errors.js';
import { warnCallbackFailure } from '../events.js';
import type { AnswerSource, Cache, LoaderContext } from '../index.js';
import { type Dispatch, renderInBackground } from './background-render.js';
import { type Captured, captureResponse } from './capture.js';
import { RenderFailedError } from './errors.js';
import { type ResponseCacheOptions, resolveResponseCacheOptions } from './options.js';
import { pageKey, takePageTags } from './page-tags.js';
import { type CacheStatus, encodePage, isPassMarker, type PassMarker, readRecord } from './record.js';
import { replay } from './replay.js';
import { type RequestTarget, replayUrl } from './request-key.js';
import {
  type BypassReason,
  markHandedOn,
  planRequest,
  stripConditionals,
  wasHandedOn,
} from './request-policy.js';
import { type Head, judgeHead } from './response-policy.js';
import { type ResponseCacheEvents, ResponseCacheMonitor, type ResponseCacheStats } from './stats.js';

/** Calls the next handler of the chain (with an error: the framework's error handling). */
export type Next = (error?: unknown) => void;

/** What the protocol needs from a framework, for its request type `Req`. */
export interface HttpAdapter<Req extends IncomingMessage> {
  /** The request's target (full URL, scheme, host) as the app sees it. */
  target(req: Req): RequestTarget;
  /** How to send a request through the whole app again (background re-renders); undefined: cannot. */
  dispatcher(req: Req): Dispatch | undefined;
}

/** How `purge()` purges a page. */
export interface PurgeOptions {
  /** A miss at once, instead of stale within the middleware's `grace` while one request re-renders it. @default false */
  hard?: boolean;
  /** With the `vary` option: the request headers of the variant to purge (one call per variant). */
  headers?: IncomingHttpHeaders;
}

/** The protocol of one middleware: handles a request, with its counters and events. */
export interface ResponseCache<Req extends IncomingMessage> {
  handle(req: Req, res: ServerResponse, next: Next): Promise<void>;
  /**
   * Purges the page of an absolute URL (`https://shop.example/list?b=2&a=1`: scheme and host included)
   * under the key this middleware stored it with, cluster-wide. Resolves whether a page was stored.
   */
  purge(url: string, options?: PurgeOptions): Promise<boolean>;
  stats(): ResponseCacheStats;
  on<K extends keyof ResponseCacheEvents>(name: K, listener: (event: ResponseCacheEvents[K]) => void): void;
  off<K extends keyof ResponseCacheEvents>(name: K, listener: (event: ResponseCacheEvents[K]) => void): void;
}

/** What `handle()` returns when it answered (or handed the request on) without waiting for anything. */
const HANDLED: Promise<void> = Promise.resolve();

const STATUS_OF: Record<AnswerSource, CacheStatus> = {
  hit: 'HIT',
  stale: 'STALE',
  waited: 'WAIT',
  loaded: 'MISS',
};

/** Builds the protocol over `cache` (its public API only). Invalid options throw `InvalidOptionError`. */
export function createResponseCache<Req extends IncomingMessage>(
  cache: Cache,
  options: ResponseCacheOptions<Req> | undefined,
  adapter: HttpAdapter<Req>,
): ResponseCache<Req> {
  const o = resolveResponseCacheOptions(options, cache);
  const monitor = new ResponseCacheMonitor();
  /** Background renders this instance asked for, until they reach it. */
  const claimed = new WeakMap<IncomingMessage, (capture: Promise<Captured>) => void>();
  const claim = (req: IncomingMessage, deliver: (capture: Promise<Captured>) => void) =>
    claimed.set(req, deliver);
  const backgroundTimeoutMs = Math.max(o.policy.waitTimeoutMs, 1000);

  const served = (url: string, key: string | undefined, cacheStatus: CacheStatus, reason?: BypassReason) =>
    monitor.served(key, url, cacheStatus, reason);

  const bypass = (
    req: IncomingMessage,
    url: string,
    res: ServerResponse,
    next: Next,
    reason: BypassReason,
    key?: string,
  ) => {
    res.setHeader('X-Cache', 'BYPASS');
    served(url, key, 'BYPASS', reason);
    markHandedOn(req);
    next();
  };

  /** Runs the handlers behind the middleware, streaming to the client and capturing for the cache. */
  const render = (req: IncomingMessage, res: ServerResponse, next: Next): Promise<Captured> => {
    const upstream = { ...res.getHeaders() };
    stripConditionals(req.headers);
    const judge = (sent: Head, behind: Head) => judgeHead(sent, behind, upstream, o);
    const captured = captureResponse(res, judge, o.maxBodyBytes, (sent) =>
      takePageTags(req as Req, sent, o.tags),
    );
    // A client that left while this request waited for its turn (the lock, the safe-mode cap): the
    // capture says 'aborted' and its joiners try again; rendering would only load the database.
    if (!res.destroyed) {
      markHandedOn(req);
      next();
    }
    return captured;
  };

  /** What a render is stored as (a page's bytes, or a marker), and what the loader tells the cache about it. */
  const toRecord = (captured: Captured, ctx: LoaderContext, url: string): Buffer | PassMarker => {
    const storedAt = Date.now();
    if (!captured.stored) {
      monitor.notStored({ key: ctx.key, url, reason: captured.reason });
      if (captured.reason === 'server-error' || captured.reason === 'aborted') {
        throw new RenderFailedError(captured.reason, ctx.key);
      }
      // The marker lives passTtl exactly: never served stale, never refreshed in the background.
      if (o.passTtl > 0) {
        ctx.setTtl(o.passTtl);
        ctx.noStale();
      } else ctx.noStore();
      return { v: 1, pass: captured.reason, storedAt };
    }
    if (captured.ttl !== undefined) ctx.setTtl(captured.ttl);
    tagPage(ctx, captured.tags);
    return encodePage({ status: captured.status, headers: captured.headers, body: captured.body, storedAt });
  };

  /** A copy of `req` through the whole app, for a refresh nobody waits for. */
  const renderCopy = (req: Req, target: RequestTarget): Promise<Captured> => {
    const dispatch = adapter.dispatcher(req);
    if (!dispatch) return Promise.reject(new Error('a background render needs a way to dispatch requests'));
    return renderInBackground(req, target.url, dispatch, claim, backgroundTimeoutMs);
  };

  /** A then-chain, not an async function: a memcached hit costs one promise hop after the answer, not three. */
  function serveGet(
    req: Req,
    res: ServerResponse,
    next: Next,
    target: RequestTarget,
    key: string,
    mayRetry: boolean,
  ): Promise<void> {
    const { url } = target;
    const startedAt = Date.now();
    let rendered = false;
    const loader = async (ctx: LoaderContext): Promise<Buffer | PassMarker> => {
      // A background refresh (grace, early refresh) runs after this request was answered: render a copy.
      if (ctx.background) return toRecord(await renderCopy(req, target), ctx, url);
      rendered = true;
      res.setHeader('X-Cache', 'MISS');
      served(url, key, 'MISS');
      return toRecord(await render(req, res, next), ctx, url);
    };
    const replay = { kind: 'url', url: replayUrl(target) } as const;
    // Object.assign, not a spread with an extra property: V8 builds that one on a slow path (about 2 us
    // a request with the reads of it that follow).
    const options = Object.assign({}, o.wrap, { replay });
    // A page the memory tier holds is answered in this turn: no promise, no microtask hop (2-4 us a hit).
    const held = cache.answerSync(key, loader, options);
    if (held !== undefined) {
      answerWith(req, res, next, url, key, held.value, 'HIT');
      return HANDLED;
    }
    return cache.answer(key, loader, options).then(
      ({ value, source }) => {
        if (rendered) return;
        // At or before: a request sent right after the render ended may start in the same millisecond.
        const renderedBefore = (readRecord(value)?.storedAt ?? Number.POSITIVE_INFINITY) <= startedAt;
        const cacheStatus = source === 'waited' && renderedBefore ? 'HIT' : STATUS_OF[source];
        answerWith(req, res, next, url, key, value, cacheStatus);
      },
      (error: unknown) => {
        if (rendered) return; // this request got its own (failed) render
        if (!(error instanceof RenderFailedError)) throw error;
        // A render cut short says nothing about the page: try the protocol once more. A 5xx: render yourself.
        if (error.reason === 'aborted' && mayRetry) return serveGet(req, res, next, target, key, false);
        return bypass(req, url, res, next, 'render-failed', key);
      },
    );
  }

  /** HEAD has no body to store: it is answered from a stored GET, or rendered without the cache. */
  async function serveHead(req: Req, res: ServerResponse, next: Next, url: string, key: string) {
    // The middleware's own policy decides what is still servable (its grace, not the cache's).
    const found = await cache.peek(key, o.wrap);
    if (found === undefined) return bypass(req, url, res, next, 'head-miss', key);
    answerWith(req, res, next, url, key, found.value, found.source === 'hit' ? 'HIT' : 'STALE');
  }

  /** Replays the page a value read from the cache holds, or bypasses when it is a marker or no record. */
  function answerWith(
    req: Req,
    res: ServerResponse,
    next: Next,
    url: string,
    key: string,
    value: unknown,
    cacheStatus: CacheStatus,
  ): void {
    const record = readRecord(value);
    if (record === undefined) {
      bypass(req, url, res, next, 'corrupt', key);
      return;
    }
    if (isPassMarker(record)) {
      bypass(req, url, res, next, 'pass', key);
      return;
    }
    replay(req.method ?? 'GET', req.headers, res, record, cacheStatus, Date.now());
    served(url, key, cacheStatus);
  }

  /** Settles when the request was answered or handed on; a failure goes to `next(error)`. */
  function handle(req: Req, res: ServerResponse, next: Next): Promise<void> {
    const deliver = claimed.get(req);
    if (deliver) {
      claimed.delete(req);
      deliver(render(req, res, next));
      return HANDLED;
    }
    if (wasHandedOn(req)) {
      next(); // a background render, or a request another cache middleware handed on
      return HANDLED;
    }
    try {
      const target = adapter.target(req);
      const plan = planRequest(req, target, o);
      if ('bypass' in plan) {
        bypass(req, target.url, res, next, plan.bypass);
        return HANDLED;
      }
      const serving = plan.head
        ? serveHead(req, res, next, target.url, plan.key)
        : serveGet(req, res, next, target, plan.key, true);
      return serving.catch(next);
    } catch (error) {
      next(error);
      return HANDLED;
    }
  }

  async function purge(url: string, options: PurgeOptions = {}): Promise<boolean> {
    if (o.key !== undefined) {
      throw new InvalidOptionError(
        'purge()',
        'used with the default key (with a key function, purge with cache.delete() / cache.invalidate() and your key)',
        url,
      );
    }
    const key = pageKey(url, o.vary, options.headers);
    return options.hard ? cache.delete(key) : cache.invalidate(key);
  }

  return {
    handle,
    purge,
    stats: () => monitor.stats(),
    on: (name, listener) => monitor.on(name, listener),
    off: (name, listener) => monitor.off(name, listener),
  };
}

/** Gives the stored page its tags; a page whose tags cannot be named (bad ones, a throwing option) is not stored. */
function tagPage(ctx: LoaderContext, tags: string[] | null): void {
  try {
    if (tags === null) ctx.noStore();
    else if (tags.length > 0) ctx.addTags(tags);
  } catch (error) {
    warnCallbackFailure('the page tags (Surrogate-Key, tags())', error);
    ctx.noStore();
  }
}
