/**
 * `cache.middleware()`: whole GET/HEAD responses through `wrap()`'s read-through protocol.
 *
 * The value under a key is a response record. On a miss the cache calls the loader of the request that
 * started the flight: it runs the handlers behind the middleware with its own `res`, streaming to its
 * client while capturing, and resolves with the record when the response ends (or as soon as it proves
 * not cacheable). Requests joined on that flight in this process, and waiters in other processes, get
 * the record and replay it; they never see the renderer's `res`, so nothing personal reaches them.
 *
 *   record ─ response, made before this request started ─ fresh ─▶ HIT  (stale, in grace ▶ STALE)
 *          ─ response, made after it started ───────────────────▶ WAIT
 *          ─ this request's own loader ran ─────────────────────▶ MISS (it rendered and was answered)
 *          ─ "not cacheable" marker, failed render ─────────────▶ BYPASS (render yourself, not shared)
 */
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Cache } from '../cache.js';
import type { LoaderContext } from '../loader-context.js';
import type { ResolvedPolicy } from '../options.js';
import { renderInBackground } from './background-render.js';
import { type Captured, captureResponse } from './capture.js';
import { type ResponseCacheOptions, resolveResponseCacheOptions } from './options.js';
import { type CacheStatus, cacheStatusOf, isResponseRecord, type ResponseRecord } from './record.js';
import { replay } from './replay.js';
import { replayUrl } from './request-key.js';
import { type BypassReason, planRequest, stripConditionals, takeCharge } from './request-policy.js';
import { type Head, judgeHead } from './response-policy.js';
import { type ResponseCacheEvents, ResponseCacheMonitor, type ResponseCacheStats } from './stats.js';

/** The middleware function, with its counters and events. */
export interface CacheMiddleware {
  (req: Request, res: Response, next: NextFunction): Promise<void>;
  /** How responses were served, and why renders were not stored, since the middleware was created. */
  stats(): ResponseCacheStats;
  on<K extends keyof ResponseCacheEvents>(name: K, listener: (event: ResponseCacheEvents[K]) => void): this;
  off<K extends keyof ResponseCacheEvents>(name: K, listener: (event: ResponseCacheEvents[K]) => void): this;
}

/**
 * A render nobody may share (5xx, or closed before its end): the cache treats it as a failed load, so
 * nothing is stored, the lock is released at once and joiners get this error (or, with `staleIfError`,
 * the stale page).
 */
class RenderFailedError extends Error {
  constructor(
    readonly reason: 'server-error' | 'aborted',
    key: string,
  ) {
    super(`The render of "${key}" cannot be shared: ${reason}`);
    this.name = 'RenderFailedError';
  }
}

/** @internal `cache.middleware()` calls this with the cache's resolved policy. */
export function createCacheMiddleware(
  cache: Cache,
  options: ResponseCacheOptions | undefined,
  base: ResolvedPolicy,
): CacheMiddleware {
  const o = resolveResponseCacheOptions(options, base);
  const monitor = new ResponseCacheMonitor();
  /** Background renders this instance asked for, until they reach it. */
  const claimed = new WeakMap<IncomingMessage, (capture: Promise<Captured>) => void>();
  const claim = (req: IncomingMessage, deliver: (capture: Promise<Captured>) => void) =>
    claimed.set(req, deliver);
  const backgroundTimeoutMs = Math.max(o.policy.waitTimeoutMs, 1000);

  const served = (req: Request, key: string | undefined, cacheStatus: CacheStatus, reason?: BypassReason) =>
    monitor.served({ key, url: req.originalUrl, cacheStatus, ...(reason ? { reason } : {}) });

  const bypass = (req: Request, res: Response, next: NextFunction, reason: BypassReason, key?: string) => {
    res.setHeader('X-Cache', 'BYPASS');
    served(req, key, 'BYPASS', reason);
    next();
  };

  /** Runs the handlers behind the middleware, streaming to the client and capturing for the cache. */
  const render = (req: IncomingMessage, res: Response, next: NextFunction): Promise<Captured> => {
    const upstream = { ...res.getHeaders() };
    stripConditionals(req.headers);
    const judge = (sent: Head, behind: Head) => judgeHead(sent, behind, upstream, o);
    const captured = captureResponse(res, judge, o.maxBodyBytes);
    // A client that left while this request waited for its turn (the lock, the safe-mode cap): the
    // capture says 'aborted' and its joiners try again; rendering would only load the database.
    if (!res.destroyed) next();
    return captured;
  };

  /** The record a render becomes, and what the loader tells the cache about it. */
  const toRecord = (captured: Captured, ctx: LoaderContext, url: string): ResponseRecord => {
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
    const freshUntil = storedAt + (captured.ttl ?? o.policy.ttl) * 1000;
    const body = captured.body.toString('base64');
    return { v: 1, status: captured.status, headers: captured.headers, body, storedAt, freshUntil };
  };

  async function serveGet(req: Request, res: Response, next: NextFunction, key: string, mayRetry: boolean) {
    const startedAt = Date.now();
    const url = req.originalUrl;
    let rendered = false;
    const loader = async (ctx: LoaderContext): Promise<ResponseRecord> => {
      // A background refresh (grace, early refresh) runs after this request was answered: render a copy.
      if (ctx.background)
        return toRecord(await renderInBackground(req, claim, backgroundTimeoutMs), ctx, url);
      rendered = true;
      res.setHeader('X-Cache', 'MISS');
      served(req, key, 'MISS');
      return toRecord(await render(req, res, next), ctx, url);
    };
    let record: unknown;
    try {
      record = await cache.wrapWithReplay(key, loader, o.wrap, { kind: 'url', url: replayUrl(req) });
    } catch (error) {
      if (rendered) return; // this request got its own (failed) render
      if (!(error instanceof RenderFailedError)) throw error;
      // A render cut short says nothing about the page: try the protocol once more. A 5xx: render yourself.
      if (error.reason === 'aborted' && mayRetry) return serveGet(req, res, next, key, false);
      return bypass(req, res, next, 'render-failed', key);
    }
    if (rendered) return;
    if (!isResponseRecord(record)) return bypass(req, res, next, 'corrupt', key);
    if ('pass' in record) return bypass(req, res, next, 'pass', key);
    const now = Date.now();
    const cacheStatus = cacheStatusOf(record, startedAt, now);
    replay(req.method, req.headers, res, record, cacheStatus, now);
    served(req, key, cacheStatus);
  }

  /** HEAD has no body to store: it is answered from a stored GET, or rendered without the cache. */
  async function serveHead(req: Request, res: Response, next: NextFunction, key: string) {
    const record = await cache.get(key);
    const now = Date.now();
    if (record === undefined) return bypass(req, res, next, 'head-miss', key);
    if (!isResponseRecord(record)) return bypass(req, res, next, 'corrupt', key);
    if ('pass' in record) return bypass(req, res, next, 'pass', key);
    if (now >= record.freshUntil + o.policy.grace * 1000) return bypass(req, res, next, 'head-miss', key);
    const cacheStatus = now >= record.freshUntil ? 'STALE' : 'HIT';
    replay('HEAD', req.headers, res, record, cacheStatus, now);
    served(req, key, cacheStatus);
  }

  const middleware = async function stampedeGuard(req: Request, res: Response, next: NextFunction) {
    const deliver = claimed.get(req);
    if (deliver) {
      claimed.delete(req);
      deliver(render(req, res, next));
      return;
    }
    if (!takeCharge(req)) return next(); // a background render, or a request another cache middleware has
    try {
      const plan = planRequest(req, o);
      if ('bypass' in plan) return bypass(req, res, next, plan.bypass);
      if (plan.head) return await serveHead(req, res, next, plan.key);
      return await serveGet(req, res, next, plan.key, true);
    } catch (error) {
      next(error);
    }
  } as CacheMiddleware;
  middleware.stats = () => monitor.stats();
  middleware.on = (name, listener) => {
    monitor.on(name, listener);
    return middleware;
  };
  middleware.off = (name, listener) => {
    monitor.off(name, listener);
    return middleware;
  };
  return middleware;
}
