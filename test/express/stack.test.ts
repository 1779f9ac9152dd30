/**
 * The middleware behind the real middlewares users put in front of it (express-session, compression(),
 * i18n with its Vary, trust proxy), over a real memcached: what each client received, body, cookie and
 * X-Cache, in sequence and concurrently. On both protocols.
 */
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ResponseCacheOptions } from '../../src/express/index.js';
import { type Cache, createCache } from '../../src/index.js';
import { type StackApp, serveStack } from '../fixtures/express-stack.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS, type Protocol } from '../support/protocols.js';
import { cacheStatuses } from './harness.js';

let node: MemcachedProcess;
beforeAll(async () => {
  node = await startMemcached();
});
afterAll(stopAllMemcached);

let apps = 0;
interface Stack extends StackApp {
  cache: Cache;
  get(path: string, headers?: Record<string, string>): Promise<request.Response>;
  /** The cache key of a GET of `path` (supertest sends the server's address as Host). */
  key(path: string): string;
}

async function withStack(
  protocol: Protocol,
  options: { middleware?: ResponseCacheOptions; renderMs?: number },
  test: (s: Stack) => Promise<void>,
): Promise<void> {
  const cache = createCache({
    protocol,
    servers: [node.address],
    namespace: `stack${process.pid}-${apps++}`,
  });
  const app = await serveStack(cache, options);
  const get = (path: string, headers: Record<string, string> = {}) =>
    request(app.server)
      .get(path)
      .set(headers)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks).toString()));
      });
  try {
    const { port } = app.server.address() as AddressInfo;
    await test({ ...app, cache, get, key: (path) => `http:http://127.0.0.1:${port}${path}` });
  } finally {
    await app.close();
    await cache.close();
  }
}

/** The session id a response set (`sid=<value>`), and the csrf token in a form page. */
const sidOf = (r: request.Response) =>
  /(?:^|\s|,)sid=([^;]+)/.exec(String(r.headers['set-cookie'] ?? ''))?.[1];
const csrfOf = (body: string) => /name="csrf" value="([0-9a-f]+)"/.exec(body)?.[1];

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('express-session in front (its cookie is set when the head is written)', () => {
    it("a new visitor's form page is never served to another: each gets its own session and token", async () => {
      await withStack(protocol, {}, async (s) => {
        const a = await s.get('/form/1');
        expect(a.headers['x-cache']).toBe('MISS');
        const sidA = sidOf(a);
        expect(sidA).toBeDefined();
        const tokenA = csrfOf(a.body);
        // The token belongs to A's session: A's next request (with its cookie) renders the same one.
        const again = await s.get('/form/1', { Cookie: `sid=${sidA}` });
        expect(csrfOf(again.body)).toBe(tokenA);

        const b = await s.get('/form/1');
        expect(b.headers['x-cache']).toBe('BYPASS'); // the "not cacheable" marker
        expect(sidOf(b)).toBeDefined();
        expect(sidOf(b)).not.toBe(sidA);
        expect(csrfOf(b.body)).not.toBe(tokenA);
        expect(await s.cache.get(s.key('/form/1'))).toMatchObject({ pass: 'set-cookie' });
        expect(s.middleware.stats().notStored).toEqual({ 'set-cookie': 1 });
      });
    });

    it('20 concurrent new visitors of a cold form page: 20 sessions, 20 tokens, each body with its own', async () => {
      await withStack(protocol, {}, async (s) => {
        const responses = await Promise.all(Array.from({ length: 20 }, () => s.get('/form/2')));
        expect(cacheStatuses(responses)).toEqual({ MISS: 1, BYPASS: 19 });
        const sids = responses.map(sidOf);
        const tokens = responses.map((r) => csrfOf(r.body));
        expect(new Set(sids).size).toBe(20);
        expect(new Set(tokens).size).toBe(20);
        expect(sids.every(Boolean) && tokens.every(Boolean)).toBe(true);
        // Each body's token is the one of the session its own cookie names.
        const checks = await Promise.all(sids.map((sid) => s.get('/form/2', { Cookie: `sid=${sid}` })));
        expect(checks.map((r) => csrfOf(r.body))).toEqual(tokens);
        expect(s.renders['/form/2']).toBe(40);
      });
    });

    it('a page that leaves the session alone is shared, with no cookie, to 20 concurrent visitors', async () => {
      await withStack(protocol, {}, async (s) => {
        const responses = await Promise.all(
          Array.from({ length: 20 }, (_, i) => s.get('/plain/1', { Origin: `https://client-${i}.example` })),
        );
        expect(cacheStatuses(responses)).toEqual({ MISS: 1, WAIT: 19 });
        expect(s.renders['/plain/1']).toBe(1);
        expect(new Set(responses.map((r) => r.body)).size).toBe(1);
        responses.forEach((r, i) => {
          expect(r.headers['set-cookie']).toBeUndefined();
          // A header set in front of the middleware is each request's own, never the renderer's.
          expect(r.headers['x-request-origin']).toBe(`https://client-${i}.example`);
        });
        const stored = JSON.stringify(await s.cache.get(s.key('/plain/1')));
        expect(stored).not.toMatch(/x-request-origin|set-cookie|content-encoding/i);
      });
    });
  });

  describe('grace behind the stack', () => {
    it('the background render goes through session and compression again, and stores a page without cookie', async () => {
      // A TTL long enough that the refreshed page is still fresh when read back on a loaded machine.
      await withStack(protocol, { middleware: { ttl: 2, grace: 600 }, renderMs: 10 }, async (s) => {
        const first = await s.get('/plain/3', { 'Accept-Encoding': 'gzip' });
        await sleep(2100);
        const stale = await s.get('/plain/3', { 'Accept-Encoding': 'gzip' });
        const refreshedAt = { timeout: 10_000 };
        await vi.waitFor(
          async () => expect((await s.get('/plain/3')).body).toMatch(/render-2$/),
          refreshedAt,
        );
        const refreshed = await s.get('/plain/3', { 'Accept-Encoding': 'gzip' });
        expect([first, stale, refreshed].map((r) => r.headers['x-cache'])).toEqual(['MISS', 'STALE', 'HIT']);
        expect([first, stale, refreshed].map((r) => r.headers['content-encoding'])).toEqual([
          'gzip',
          'gzip',
          'gzip',
        ]);
        expect(stale.body).toBe(first.body);
        expect(refreshed.body).toMatch(/render-2$/);
        for (const r of [first, stale, refreshed]) expect(r.headers['set-cookie']).toBeUndefined();
        expect(s.renders['/plain/3']).toBe(2);
      });
    });
  });

  describe('a cookie set in front before the route', () => {
    it('keeps the page from being stored: each visitor gets the id its own cookie carries', async () => {
      await withStack(protocol, {}, async (s) => {
        const responses = [await s.get('/visitor/1')];
        responses.push(...(await Promise.all(Array.from({ length: 10 }, () => s.get('/visitor/1')))));
        responses.push(await s.get('/visitor/1'));
        const visitorOf = (r: request.Response) =>
          /visitor=([0-9a-f]+)/.exec(String(r.headers['set-cookie'] ?? ''))?.[1];
        for (const r of responses) expect(r.body).toContain(`visitor ${visitorOf(r)} `);
        expect(new Set(responses.map(visitorOf)).size).toBe(12);
        expect(cacheStatuses(responses)).toEqual({ MISS: 1, BYPASS: 11 });
        expect(s.middleware.stats().notStored).toEqual({ 'set-cookie': 1 });
      });
    });
  });

  describe('compression() in front', () => {
    it('stores the identity body once and encodes it per client; its Vary: Accept-Encoding does not prevent storing', async () => {
      await withStack(protocol, {}, async (s) => {
        const gzip = await s.get('/plain/2', { 'Accept-Encoding': 'gzip' });
        const identity = await s.get('/plain/2', { 'Accept-Encoding': 'identity' });
        const deflate = await s.get('/plain/2', { 'Accept-Encoding': 'deflate' });
        expect([gzip, identity, deflate].map((r) => r.headers['x-cache'])).toEqual(['MISS', 'HIT', 'HIT']);
        expect([gzip, identity, deflate].map((r) => r.headers['content-encoding'])).toEqual([
          'gzip',
          undefined,
          'deflate',
        ]);
        for (const r of [gzip, identity, deflate]) {
          expect(r.headers.vary).toBe('Accept-Encoding');
          expect(r.body).toBe(gzip.body); // decoded by the client: the same page
        }
        expect(s.renders['/plain/2']).toBe(1);
      });
    });
  });

  describe('i18n in front (Vary: Accept-Language set before the route)', () => {
    it('without accept-language in `vary`, the page is not stored: each client gets its language', async () => {
      await withStack(protocol, { renderMs: 10 }, async (s) => {
        const de = await s.get('/i18n/1', { 'Accept-Language': 'de' });
        const en = await s.get('/i18n/1', { 'Accept-Language': 'en' });
        const de2 = await s.get('/i18n/1', { 'Accept-Language': 'de' });
        expect([de, en, de2].map((r) => r.body.split(' ')[0])).toEqual([
          'Willkommen',
          'Welcome',
          'Willkommen',
        ]);
        expect([de, en, de2].map((r) => r.headers['x-cache'])).toEqual(['MISS', 'BYPASS', 'BYPASS']);
        expect(s.middleware.stats().notStored).toEqual({ vary: 1 });
      });
    });

    it('20 concurrent clients of a cold page in two languages: each gets its own language', async () => {
      await withStack(protocol, {}, async (s) => {
        const langs = Array.from({ length: 20 }, (_, i) => (i % 2 ? 'de' : 'en'));
        const responses = await Promise.all(
          langs.map((lang) => s.get('/i18n/3', { 'Accept-Language': lang })),
        );
        responses.forEach((r, i) => {
          expect(r.body.split(' ')[0]).toBe(langs[i] === 'de' ? 'Willkommen' : 'Welcome');
        });
        expect(cacheStatuses(responses)).toEqual({ MISS: 1, BYPASS: 19 });
        const later = await s.get('/i18n/3', { 'Accept-Language': 'en' });
        expect([later.headers['x-cache'], later.body.split(' ')[0]]).toEqual(['BYPASS', 'Welcome']);
      });
    });

    it("with vary: ['accept-language'], one entry per language, concurrently", async () => {
      await withStack(protocol, { middleware: { vary: ['accept-language'] } }, async (s) => {
        const langs = Array.from({ length: 20 }, (_, i) => (i % 2 ? 'de' : 'en'));
        const responses = await Promise.all(
          langs.map((lang) => s.get('/i18n/2', { 'Accept-Language': lang })),
        );
        responses.forEach((r, i) => {
          expect(r.body.split(' ')[0]).toBe(langs[i] === 'de' ? 'Willkommen' : 'Welcome');
          expect(r.headers.vary).toMatch(/Accept-Language/);
        });
        expect(s.renders['/i18n/2']).toBe(2);
        const later = await s.get('/i18n/2', { 'Accept-Language': 'de' });
        expect([later.headers['x-cache'], later.body.split(' ')[0]]).toEqual(['HIT', 'Willkommen']);
      });
    });
  });

  describe('trust proxy with forwarded headers', () => {
    it('a forwarded host renders for its own entry only; everyone else gets the real host', async () => {
      await withStack(protocol, {}, async (s) => {
        const responses = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            s.get('/client/1', i % 3 === 0 ? { 'X-Forwarded-Host': 'evil.example' } : {}),
          ),
        );
        responses.forEach((r, i) => {
          // The forwarded host is req.host behind `trust proxy`: part of the key, so the forged page is
          // stored under the forger's own key and never reaches anyone else.
          if (i % 3 === 0) expect(r.body).toContain('://evil.example');
          else expect(r.body).toContain('://127.0.0.1');
        });
        const later = await s.get('/client/1');
        expect(later.headers['x-cache']).toBe('HIT');
        expect(later.body).not.toContain('evil');
      });
    });

    it('X-Forwarded-For from the trusted proxy reaches the app as req.ip', async () => {
      await withStack(protocol, {}, async (s) => {
        const r = await s.get('/client/2', { 'X-Forwarded-For': '203.0.113.7' });
        expect(r.body).toContain('for 203.0.113.7');
      });
    });
  });
});
