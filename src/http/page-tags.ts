/**
 * A page's tags and purging a page by its URL. Tags come from the `Surrogate-Key` response header (the
 * CDN convention: space-separated keys, meant for the cache, never for the client, so it is removed
 * before the head goes out) and from the middleware's `tags(req, res)` option. A URL is purged under the
 * key the middleware stored the page with: `http:<scheme>://<host><path>?<canonical query>` (request-key.ts).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { InvalidOptionError } from '../errors.js';
import { warnCallbackFailure } from '../events.js';
import { defaultKey, varySuffix } from './request-key.js';

/** The response header carrying a page's tags. */
const SURROGATE_KEY = 'surrogate-key';

/**
 * Removes `Surrogate-Key` from `res` and returns its tags plus those of `option`; null when `option`
 * threw (the page is then not stored: a page missing a tag could not be purged by it).
 */
export function takePageTags<Req extends IncomingMessage>(
  req: Req,
  res: ServerResponse,
  option: ((req: Req, res: ServerResponse) => readonly string[]) | undefined,
): string[] | null {
  const header = res.getHeader(SURROGATE_KEY);
  res.removeHeader(SURROGATE_KEY);
  const text = Array.isArray(header) ? header.join(' ') : header === undefined ? '' : String(header);
  const tags = text.split(/\s+/).filter(Boolean);
  if (option === undefined) return tags;
  try {
    const more = option(req, res);
    if (!Array.isArray(more)) throw new TypeError('middleware().tags must return an array of strings');
    return [...tags, ...more];
  } catch (error) {
    warnCallbackFailure('the middleware tags() option', error);
    return null;
  }
}

/**
 * The key the middleware stores the page of absolute `url` under (`https://shop.example/list?b=2&a=1`):
 * scheme and host as written (the host with its port, as the app sees it in `Host`), the path as sent,
 * the query canonical, and, with `vary`, the values of `headers` for those request headers.
 */
export function pageKey(url: string, vary: readonly string[], headers: IncomingHttpHeaders = {}): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)/.exec(typeof url === 'string' ? url : '');
  if (!match) throw new InvalidOptionError('purge().url', 'an absolute URL (scheme://host/path)', url);
  const [, protocol = '', host = '', rest = ''] = match;
  const path = rest.startsWith('/') ? rest : `/${rest}`;
  const base = defaultKey({ url: path, protocol: protocol.toLowerCase(), host });
  return `http:${base}${varySuffix(headers, vary)}`;
}
