/**
 * Renders a page with no client waiting for it: the background refresh of `grace` (and of `beta`'s early
 * refresh). The cache calls the loader of the request that found the stale page after that request was
 * answered, so its `res` cannot be used; instead a copy of the request goes through the app again (the
 * adapter's `dispatch`: for Express, the app itself, which is a request handler), into a response with no
 * socket, and the cache middleware that asked for it captures what comes out.
 *
 * The copy carries the original's URL, headers (less validators), client address and TLS, with method GET,
 * so it is the request the stale page was rendered for; it goes through the whole app, middleware in
 * front included.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Captured } from './capture.js';
import { markHandedOn, stripConditionals } from './request-policy.js';

/** Sends a request through the whole app; `done` is called when no handler answered it (or with an error). */
export type Dispatch = (req: IncomingMessage, res: ServerResponse, done: (error?: unknown) => void) => void;

/**
 * Sends a copy of `original` (whose full target is `url`) through `dispatch`. `claim` registers the copy
 * with the asking middleware, which calls back with its capture when the copy reaches it. Rejects when the
 * app answers without reaching it, fails, or takes longer than `timeoutMs`.
 */
export function renderInBackground(
  original: IncomingMessage,
  url: string,
  dispatch: Dispatch,
  claim: (req: IncomingMessage, deliver: (capture: Promise<Captured>) => void) => void,
  timeoutMs: number,
): Promise<Captured> {
  const socket = new Socket();
  // Middleware that reads the client address (rate limiters, logs) sees the original client's, and
  // Express's req.protocol / req.secure see its TLS: a page must not be re-rendered as plain http.
  Object.defineProperties(socket, {
    remoteAddress: { value: original.socket.remoteAddress },
    encrypted: { value: (original.socket as { encrypted?: boolean }).encrypted },
  });
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  req.url = url;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.headers = { ...original.headers };
  stripConditionals(req.headers);
  req.push(null); // no body
  req.complete = true;
  const res = new ServerResponse(req);
  markHandedOn(req); // every cache middleware lets it through; the one that asked for it captures it

  return new Promise<Captured>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`background render took over ${timeoutMs} ms`)),
      timeoutMs,
    );
    const settle = (capture: Promise<Captured>) => {
      capture.then(resolve, reject).finally(() => clearTimeout(timer));
    };
    claim(req, settle);
    dispatch(req, res, (error?: unknown) => {
      settle(Promise.reject(error ?? new Error(`background render of ${req.url}: no handler answered`)));
    });
  });
}
