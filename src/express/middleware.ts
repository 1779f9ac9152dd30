/**
 * The Express adapter: `cacheMiddleware(cache, options)` is the framework-neutral HTTP protocol
 * (`src/http/`) with what only Express knows: the request's target as the app sees it (`req.protocol`,
 * `req.host`, `req.originalUrl`) and how to send a copy through the whole app for a background re-render
 * (the app is itself a request handler: `app(req, res, next)`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Dispatch } from '../http/background-render.js';
import type { ResponseCacheOptions as HttpResponseCacheOptions } from '../http/options.js';
import { createResponseCache, type PurgeOptions } from '../http/protocol.js';
import type { ResponseCacheEvents, ResponseCacheStats } from '../http/stats.js';
import type { Cache } from '../index.js';

/** The middleware's options; `key` gets the Express request. */
export type ResponseCacheOptions = HttpResponseCacheOptions<Request>;

/**
 * The middleware function, with its counters and events. Generic like Express's own handlers, so a route's
 * typed params survive it: `app.get('/p/:id', middleware, (req) => req.params.id)` keeps `id: string`.
 */
export interface CacheMiddleware {
  <
    P = Request['params'],
    ResBody = unknown,
    ReqBody = unknown,
    ReqQuery = Request['query'],
    Locals extends Record<string, unknown> = Record<string, unknown>,
  >(
    req: Request<P, ResBody, ReqBody, ReqQuery, Locals>,
    res: Response<ResBody, Locals>,
    next: NextFunction,
  ): Promise<void>;
  /** How responses were served, and why renders were not stored, since the middleware was created. */
  stats(): ResponseCacheStats;
  /**
   * Purges the page of an absolute URL (`https://shop.example/list?b=2&a=1`, scheme and host as clients
   * send them) under the key this middleware stored it with, in every process. Soft by default (stale
   * within the middleware's `grace`); `{ hard: true }` for a miss at once. With `vary`, give the variant's
   * request `headers`. Resolves whether a page was stored; rejects with `InvalidOptionError` with a custom
   * `key` (purge with `cache.delete()` and your key), or `StoreError`.
   */
  purge(url: string, options?: PurgeOptions): Promise<boolean>;
  on<K extends keyof ResponseCacheEvents>(name: K, listener: (event: ResponseCacheEvents[K]) => void): this;
  off<K extends keyof ResponseCacheEvents>(name: K, listener: (event: ResponseCacheEvents[K]) => void): this;
}

/** What Express sets on a mounted sub-app: the app it was mounted on. */
interface MountedApp {
  (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void;
  parent?: MountedApp;
}

/**
 * Express middleware caching whole GET/HEAD responses with `wrap()`'s protocol: one request renders a
 * missing page, the others wait for it (see docs/express.md). Usable app-wide or per route.
 * Invalid options throw `InvalidOptionError` naming `middleware().<option>`.
 */
export function cacheMiddleware(cache: Cache, options?: ResponseCacheOptions): CacheMiddleware {
  const protocol = createResponseCache<Request>(cache, options, {
    target: (req) => ({ url: req.originalUrl ?? req.url, protocol: req.protocol, host: req.host }),
    dispatcher: (req) => rootApp(req),
  });
  const middleware = ((req: Request, res: Response, next: NextFunction) =>
    protocol.handle(req, res, next)) as CacheMiddleware;
  middleware.stats = () => protocol.stats();
  middleware.purge = (url, purgeOptions) => protocol.purge(url, purgeOptions);
  middleware.on = (name, listener) => {
    protocol.on(name, listener);
    return middleware;
  };
  middleware.off = (name, listener) => {
    protocol.off(name, listener);
    return middleware;
  };
  return middleware;
}

/** The top app of the request (a mounted sub-app dispatches the full URL from the top), as a handler. */
function rootApp(req: Request): Dispatch | undefined {
  let app = req.app as unknown as MountedApp | undefined;
  if (typeof app !== 'function') return undefined;
  while (typeof app.parent === 'function') app = app.parent;
  return app;
}
