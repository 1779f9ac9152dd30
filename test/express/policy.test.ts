/**
 * The middleware's decisions without a server: option validation, keys, which responses are stored and
 * which of their headers, and that express stays a type-only (optional peer) dependency.
 */

import { readdirSync, readFileSync } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheMiddleware, type ResponseCacheOptions } from '../../src/express/index.js';
import { resolveResponseCacheOptions } from '../../src/http/options.js';
import { pathAndQuery } from '../../src/http/request-key.js';
import { judgeHead, MAX_RESPONSE_TTL_SECONDS } from '../../src/http/response-policy.js';
import { createCache, InvalidOptionError, MemoryStore } from '../../src/index.js';

const cache = createCache({ store: new MemoryStore(), safeMode: 'off' });
afterAll(() => cache.close());
const resolved = (options: ResponseCacheOptions = {}) => resolveResponseCacheOptions(options, cache);

describe('options', () => {
  it.each([
    [{ statuses: [200, 500] }, 'middleware().statuses'],
    [{ maxBodyBytes: -1 }, 'middleware().maxBodyBytes'],
    [{ passTtl: Number.NaN }, 'middleware().passTtl'],
    [{ setCookie: 'keep' }, 'middleware().setCookie'],
    [{ vary: ['accept encoding'] }, 'middleware().vary'],
    [{ key: 'url' }, 'middleware().key'],
    [{ bypassCookies: 'no' }, 'middleware().bypassCookies'],
    [{ ttl: -1 }, 'middleware().ttl'],
    [{ onWaitTimeout: 'wait' }, 'middleware().onWaitTimeout'],
    [{ maxAge: 10 }, 'middleware().maxAge'],
  ])('%j is a TypeError naming %s', (options, name) => {
    const attempt = () => cacheMiddleware(cache, options as ResponseCacheOptions);
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(TypeError);
    expect(attempt).toThrow(`\`${name}\``);
  });

  it('inherits the cache policy and overrides it per middleware', async () => {
    const base = createCache({ store: new MemoryStore(), safeMode: 'off', ttl: 120 });
    const o = resolveResponseCacheOptions({ grace: 30 }, base);
    expect(o.policy).toMatchObject({ ttl: 120, grace: 30, lock: true });
    expect(o.wrap).toEqual({ lock: true, grace: 30 }); // pages lock by default
    expect(resolveResponseCacheOptions({ lock: false }, base).policy.lock).toBe(false);
    await base.close();
    expect([...o.statuses]).toEqual([200, 203, 204, 301, 404, 410]);
  });
});

describe('path and query of the default key', () => {
  it.each([
    ['/a', '/a'],
    ['/a?', '/a'],
    ['/a?b=2&a=1', '/a?a=1&b=2'],
    ['/a?b=%32&a=1', '/a?a=1&b=2'],
    ['/a?q=x+y&q=z%20w', '/a?q=x+y&q=z+w'],
    ['/a?flag', '/a?flag'],
    ['/a?q=%fe&q=%FF', '/a?q=%fe&q=%FF'],
    ['/a?b=1&a=%e2%82%ac&a[]=2', '/a?a=%E2%82%AC&a[]=2&b=1'],
    ['/A/b/', '/A/b/'],
  ])('%s → %s', (url, key) => expect(pathAndQuery(url)).toBe(key));
});

describe('judging a response head', () => {
  const o = resolved({ respectCacheControl: true, vary: ['accept-language', 'origin'] });
  /** Judges a head sent as produced behind the middleware, unless `sent` says what was added in front. */
  const judge = (
    status: number,
    headers: OutgoingHttpHeaders,
    upstream: OutgoingHttpHeaders = {},
    sent: OutgoingHttpHeaders = headers,
  ) => judgeHead({ status, headers: sent }, { status, headers }, upstream, o);

  it('stores only what the cached part of the stack added', () => {
    const upstream = {
      'x-powered-by': 'Express',
      'access-control-allow-origin': 'https://a.example',
      vary: 'Origin',
    };
    const verdict = judge(
      200,
      {
        ...upstream,
        'content-type': 'text/html',
        'content-length': 5,
        'set-cookie': undefined,
        etag: 'W/"1"',
        vary: 'Origin, Accept-Language',
      },
      upstream,
    );
    expect(verdict).toEqual({
      status: 200,
      ttl: undefined,
      headers: [
        ['vary', 'Origin, Accept-Language'],
        ['content-type', 'text/html'],
        ['etag', 'W/"1"'],
      ],
    });
  });

  it('refuses a cookie whoever set it: behind, in front before the route, or in front at writeHead', () => {
    const session = { 'set-cookie': ['sid=1'] };
    expect(judge(200, { ...session }, session)).toEqual({ notStored: 'set-cookie' });
    expect(judge(200, { 'set-cookie': ['theme=dark'] })).toEqual({ notStored: 'set-cookie' });
    expect(judge(200, {}, {}, session)).toEqual({ notStored: 'set-cookie' });
  });

  it('judges the head as sent, and stores the head produced behind the middleware', () => {
    const behind = { 'content-type': 'text/plain', etag: '"1"' };
    const sent = { ...behind, 'content-encoding': 'gzip', vary: 'Accept-Encoding', 'x-response-time': '3ms' };
    expect(judge(200, behind, {}, sent)).toEqual({
      status: 200,
      ttl: undefined,
      headers: [
        ['content-type', 'text/plain'],
        ['etag', '"1"'],
      ],
    });
    expect(judge(200, behind, {}, { ...sent, 'cache-control': 'private' })).toEqual({ notStored: 'private' });
  });

  it('lets Vary: Accept-Encoding added in front over an identity body through, not over an encoded one', () => {
    const sent = { vary: 'Accept-Encoding' };
    expect(judge(200, {}, {}, sent)).toMatchObject({ status: 200 });
    expect(judge(200, { 'content-encoding': 'identity' }, {}, sent)).toMatchObject({ status: 200 });
    // compression() behind the middleware: the stored body is encoded, the key must vary on it.
    const encoded = { 'content-encoding': 'gzip', vary: 'Accept-Encoding' };
    expect(judge(200, encoded)).toEqual({ notStored: 'vary' });
    // A pre-compressed body with compression() in front: encoded behind, Vary added in front.
    expect(judge(200, { 'content-encoding': 'br' }, {}, { 'content-encoding': 'br', ...sent })).toEqual({
      notStored: 'vary',
    });
    // Set behind the middleware: the handler says its body depends on it.
    expect(judge(200, sent)).toEqual({ notStored: 'vary' });
  });

  it('honours a Vary set in front, before the route or at writeHead', () => {
    const i18n = { vary: 'Accept-Language, User-Agent' };
    expect(judge(200, i18n, i18n)).toEqual({ notStored: 'vary' });
    expect(judge(200, {}, {}, i18n)).toEqual({ notStored: 'vary' });
  });

  it.each([
    [503, {}, 'server-error'],
    [302, {}, 'status'],
    [200, { 'cache-control': 'public, private="set-cookie"' }, 'private'],
    [200, { 'cache-control': 'NO-STORE' }, 'no-store'],
    [200, { 'cache-control': ['public', 'no-cache'] }, 'no-cache'],
    [200, { vary: '*' }, 'vary'],
    [200, { vary: 'Accept-Language, User-Agent' }, 'vary'],
    [200, { 'cache-control': 'max-age=0' }, 'max-age'],
    [200, { 'cache-control': 'max-age=60, s-maxage=0' }, 'max-age'],
  ])('%i %j is not stored: %s', (status, headers, reason) => {
    expect(judge(status, headers as OutgoingHttpHeaders)).toEqual({ notStored: reason });
  });

  it('takes the TTL from s-maxage before max-age', () => {
    expect(judge(200, { 'cache-control': 'max-age=10, s-maxage="30"' })).toMatchObject({ ttl: 30 });
    expect(judge(200, { 'cache-control': 'public, max-age=10' })).toMatchObject({ ttl: 10 });
  });

  it('clamps an absurd s-maxage / max-age to 365 days', () => {
    const year = 365 * 24 * 3600;
    expect(MAX_RESPONSE_TTL_SECONDS).toBe(year);
    expect(judge(200, { 'cache-control': 's-maxage=1e12' })).toMatchObject({ ttl: year });
    expect(judge(200, { 'cache-control': 'max-age=99999999999' })).toMatchObject({ ttl: year });
    expect(judge(200, { 'cache-control': `max-age=${year}` })).toMatchObject({ ttl: year });
  });
});

describe('packaging', () => {
  it('cache.middleware() moved: it throws E_MOVED naming stampede-guard/express', () => {
    const attempt = () => (cache as unknown as { middleware(): unknown }).middleware();
    expect(attempt).toThrow(expect.objectContaining({ code: 'E_MOVED' }));
    expect(attempt).toThrow("import { cacheMiddleware } from 'stampede-guard/express'");
  });

  it('never imports express at run time (it is an optional peer dependency)', () => {
    for (const folder of ['../../src/express/', '../../src/http/']) {
      const dir = new URL(folder, import.meta.url);
      for (const file of readdirSync(dir)) {
        const source = readFileSync(new URL(file, dir), 'utf8');
        expect(source, file).not.toMatch(/^import (?!type )[^;]*from 'express'/m);
      }
    }
  });
});
