/**
 * Renders a page with no client waiting for it: the background refresh of `grace` (and of `beta`'s early
 * refresh). The cache calls the loader of the request that found the stale page after that request was
 * answered, so its `res` cannot be used; instead a copy of the request goes through the Express app
 * again, into a response with no socket, and the middleware that asked for it captures what comes out.
 *
 * The copy carries the original's URL, headers (less validators), client address and TLS, with method GET,
 * so it is the request the stale page was rendered for; it goes through the whole app, middleware in
 * front included.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Request } from 'express';
import type { Captured } from './capture.js';
import { stripConditionals, takeCharge } from './request-policy.js';

/** Express's request handling entry point, not part of its typings. */
interface DispatchingApp {
  handle(req: IncomingMessage, res: ServerResponse, done: (error?: unknown) => void): void;
  parent?: DispatchingApp;
}

/**
 * Sends a copy of `original` through its app. `claim` registers the copy with the asking middleware,
 * which calls back with its capture when the copy reaches it. Rejects when the app answers without
 * reaching it, fails, or takes longer than `timeoutMs`.
 */
export function renderInBackground(
  original: Request,
  claim: (req: IncomingMessage, deliver: (capture: Promise<Captured>) => void) => void,
  timeoutMs: number,
): Promise<Captured> {
  let app = original.app as unknown as DispatchingApp | undefined;
  if (typeof app?.handle !== 'function') {
    return Promise.reject(new Error('a background render needs the request of an Express app'));
  }
  while (app.parent) app = app.parent; // a mounted sub-app: dispatch the full URL from the top
  const root = app;

  const socket = new Socket();
  // Middleware that reads the client address (rate limiters, logs) sees the original client's, and
  // Express's req.protocol / req.secure see its TLS: a page must not be re-rendered as plain http.
  Object.defineProperties(socket, {
    remoteAddress: { value: original.socket.remoteAddress },
    encrypted: { value: (original.socket as { encrypted?: boolean }).encrypted },
  });
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  req.url = original.originalUrl;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.headers = { ...original.headers };
  stripConditionals(req.headers);
  req.push(null); // no body
  req.complete = true;
  const res = new ServerResponse(req);
  takeCharge(req); // every cache middleware lets it through; the one that asked for it captures it

  return new Promise<Captured>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`background render took over ${timeoutMs} ms`)),
      timeoutMs,
    );
    const settle = (capture: Promise<Captured>) => {
      capture.then(resolve, reject).finally(() => clearTimeout(timer));
    };
    claim(req, settle);
    root.handle(req, res, (error?: unknown) => {
      settle(Promise.reject(error ?? new Error(`background render of ${req.url}: no handler answered`)));
    });
  });
}
