/**
 * Safe by default, over a real memcached: nobody gets another client's cookie, credentials and cookies
 * bypass, private / no-store / 5xx responses are not shared, forwarded host headers cannot poison a page,
 * undeclared Vary is not stored, clients cannot bypass unless allowed. On both protocols.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPassMarker, readRecord } from '../../src/http/record.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS } from '../support/protocols.js';
import { cacheStatuses, type Served, serve } from './harness.js';

let node: MemcachedProcess;
beforeAll(async () => {
  node = await startMemcached();
});
afterAll(stopAllMemcached);

const burst = (s: Served, path: string, n: number, headers?: Record<string, string>) =>
  Promise.all(Array.from({ length: n }, () => s.get(path, headers)));
/** The render id in a body ("hello 1234-2" → "1234-2"), and in a sid cookie ("sid=secret-1234-2; ..."). */
const renderOf = (body: Buffer) => body.toString().split(' ').at(-1);
const cookieRender = (headers: Record<string, unknown>) =>
  /sid=secret-([\d-]+)/.exec(String(headers['set-cookie'] ?? ''))?.[1];

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('Set-Cookie', () => {
    it('is never stored nor handed to waiters: they render for themselves, and so does every later request', async () => {
      const s = await serve(node, { protocol });
      try {
        const responses = await burst(s, '/cookie/a', 10);
        expect(cacheStatuses(responses)).toEqual({ MISS: 1, BYPASS: 9 });
        expect(s.renders['/cookie/a']).toBe(10);
        for (const r of responses) expect(cookieRender(r.headers)).toBe(renderOf(r.body)); // each its own cookie
        const stored = await s.cache.get(s.key('/cookie/a'));
        expect(stored).toMatchObject({ v: 1, pass: 'set-cookie' }); // a marker: no headers, no body
        expect(JSON.stringify(stored)).not.toMatch(/secret|cookie.*=/i);
        const later = await s.get('/cookie/a');
        expect(later.headers['x-cache']).toBe('BYPASS');
        expect(cookieRender(later.headers)).toBe(renderOf(later.body));
        expect(s.middleware.stats().notStored).toEqual({ 'set-cookie': 1 });
      } finally {
        await s.close();
      }
    });

    it("with setCookie 'strip', shares the page without the renderer's cookie", async () => {
      const s = await serve(node, { protocol, middleware: { setCookie: 'strip' } });
      try {
        const responses = await burst(s, '/cookie/b', 10);
        expect(s.renders['/cookie/b']).toBe(1);
        expect(cacheStatuses(responses)).toEqual({ MISS: 1, WAIT: 9 });
        const withCookie = responses.filter((r) => r.headers['set-cookie'] !== undefined);
        expect(withCookie.map((r) => r.headers['x-cache'])).toEqual(['MISS']);
        const later = await s.get('/cookie/b');
        expect(later.headers['x-cache']).toBe('HIT');
        expect(later.headers['set-cookie']).toBeUndefined();
        // The stored page, head and body, as bytes and as decoded: no cookie anywhere.
        const stored = await s.cache.get(s.key('/cookie/b'));
        expect(Buffer.isBuffer(stored)).toBe(true);
        expect((stored as Buffer).toString('latin1')).not.toMatch(/secret|set-cookie/i);
        const page = readRecord(stored);
        if (page === undefined || isPassMarker(page)) throw new Error('no page stored');
        expect(JSON.stringify(page.headers)).not.toMatch(/secret|set-cookie/i);
      } finally {
        await s.close();
      }
    });
  });

  describe('requests with credentials', () => {
    it('bypass the cache when they carry Authorization or cookies, and store nothing', async () => {
      const s = await serve(node, { protocol, renderMs: 10 });
      try {
        const credentials: Record<string, string>[] = [
          { Authorization: 'Bearer x' },
          { Cookie: 'session=abc' },
        ];
        for (const headers of credentials) {
          expect((await s.get('/page/creds', headers)).headers['x-cache']).toBe('BYPASS');
        }
        expect(await s.cache.get(s.key('/page/creds'))).toBeUndefined();
        await s.get('/page/creds');
        expect((await s.get('/page/creds', { Cookie: 'session=abc' })).headers['x-cache']).toBe('BYPASS');
        expect(s.renders['/page/creds']).toBe(4);
        expect(s.middleware.stats().bypassed).toEqual({ authorization: 1, cookie: 2 });
      } finally {
        await s.close();
      }
    });

    it('take part when configured so (the page does not depend on them)', async () => {
      const s = await serve(node, { protocol, renderMs: 10, middleware: { bypassCookies: false } });
      try {
        await s.get('/page/cookies-ok', { Cookie: 'a=1' });
        expect((await s.get('/page/cookies-ok', { Cookie: 'b=2' })).headers['x-cache']).toBe('HIT');
      } finally {
        await s.close();
      }
    });
  });

  describe('responses that must not be shared', () => {
    it.each(['private', 'no-store', 'no-cache'])('Cache-Control: %s is not stored', async (directive) => {
      const s = await serve(node, { protocol, renderMs: 10 });
      try {
        const path = `/cache-control/x?cc=${directive}`;
        expect((await s.get(path)).headers['x-cache']).toBe('MISS');
        expect((await s.get(path)).headers['x-cache']).toBe('BYPASS');
        expect(s.renders['/cache-control/x']).toBe(2);
        expect(s.middleware.stats().notStored).toEqual({ [directive]: 1 });
      } finally {
        await s.close();
      }
    });

    it('a 500 is not stored, and its waiters render for themselves instead of receiving it', async () => {
      const s = await serve(node, { protocol });
      try {
        const responses = await burst(s, '/flaky/a', 10);
        const failed = responses.filter((r) => r.status === 500);
        expect(failed.map((r) => r.headers['x-cache'])).toEqual(['MISS']); // only the renderer saw its 500
        expect(cacheStatuses(responses)).toEqual({ MISS: 1, BYPASS: 9 });
        expect(s.renders['/flaky/a']).toBe(10);
        expect(await s.cache.get(s.key('/flaky/a'))).toBeUndefined(); // no marker either: the next one renders
        expect((await s.get('/flaky/a')).headers['x-cache']).toBe('MISS');
        expect((await s.get('/flaky/a')).headers['x-cache']).toBe('HIT');
        expect(s.middleware.stats().bypassed).toEqual({ 'render-failed': 9 });
      } finally {
        await s.close();
      }
    });

    it('a 500 larger than maxBodyBytes is a failed render too: no marker, the stale page stays', async () => {
      const s = await serve(node, {
        protocol,
        renderMs: 10,
        middleware: { maxBodyBytes: 1000, ttl: 1, grace: 0, staleIfError: 600 },
      });
      try {
        const good = await s.get('/breaks/a');
        await sleep(1100);
        const responses = await burst(s, '/breaks/a', 5);
        expect(responses.filter((r) => r.status === 500).map((r) => r.headers['x-cache'])).toEqual(['MISS']);
        for (const r of responses.filter((r) => r.status !== 500)) {
          expect([r.status, r.headers['x-cache'], r.body.equals(good.body)]).toEqual([200, 'STALE', true]);
        }
        expect(s.renders['/breaks/a']).toBe(2);
        expect(await s.cache.get(s.key('/breaks/a'))).toBeUndefined(); // past grace: only stale-if-error keeps it
        expect(s.middleware.stats().notStored).toEqual({ 'server-error': 1 });
      } finally {
        await s.close();
      }
    });

    it('statuses outside the list are not stored; 301 and 404 are, with their headers', async () => {
      const s = await serve(node, { protocol, renderMs: 10 });
      try {
        await s.get('/status/202');
        expect((await s.get('/status/202')).headers['x-cache']).toBe('BYPASS');
        await s.get('/redirect/r');
        const redirect = await s.get('/redirect/r');
        expect([redirect.status, redirect.headers['x-cache'], redirect.headers.location]).toEqual([
          301,
          'HIT',
          '/page/target',
        ]);
        await s.get('/no/such/page');
        const missing = await s.get('/no/such/page');
        expect([missing.status, missing.headers['x-cache']]).toEqual([404, 'HIT']);
      } finally {
        await s.close();
      }
    });
  });

  describe('forwarded host headers', () => {
    it('cannot poison the page other clients receive', async () => {
      const s = await serve(node, { protocol });
      try {
        const evil = { 'X-Forwarded-Host': 'evil.example' };
        // The attacker asks first, while the page is cold, and again amid ordinary clients.
        const first = s.get('/host/a', evil);
        const mixed = await Promise.all([
          ...Array.from({ length: 5 }, () => s.get('/host/a')),
          s.get('/host/a', evil),
          ...Array.from({ length: 5 }, () => s.get('/host/a')),
        ]);
        const attacker = await first;
        expect(attacker.body.toString()).toContain('evil.example'); // the app does trust the header...
        expect(['MISS', 'HIT']).toContain(attacker.headers['x-cache']); // ...cached under evil.example's key...
        const clients = [...mixed.slice(0, 5), ...mixed.slice(6), await s.get('/host/a')];
        for (const r of clients) expect(r.body.toString()).not.toContain('evil.example'); // ...nobody else sees it
        expect(s.middleware.stats().bypassed).toEqual({});
      } finally {
        await s.close();
      }
    });

    it('bypass by default with a key function, which may not cover the host', async () => {
      const s = await serve(node, { protocol, renderMs: 10, middleware: { key: (req) => req.originalUrl } });
      try {
        const attacker = await s.get('/host/c', { 'X-Forwarded-Host': 'evil.example' });
        expect([attacker.headers['x-cache'], attacker.body.toString()]).toEqual([
          'BYPASS',
          expect.stringContaining('evil.example'),
        ]);
        const ordinary = await s.get('/host/c');
        expect([ordinary.headers['x-cache'], ordinary.body.toString()]).toEqual([
          'MISS',
          expect.not.stringContaining('evil.example'),
        ]);
      } finally {
        await s.close();
      }
    });

    it('take part when a key function varies on the host itself', async () => {
      const s = await serve(node, {
        protocol,
        renderMs: 10,
        middleware: { bypassForwardedHost: false, key: (req) => `${req.hostname}${req.originalUrl}` },
      });
      try {
        await s.get('/host/b', { 'X-Forwarded-Host': 'evil.example' });
        const ordinary = await s.get('/host/b');
        expect(ordinary.headers['x-cache']).toBe('MISS');
        expect(ordinary.body.toString()).not.toContain('evil.example');
      } finally {
        await s.close();
      }
    });
  });

  describe('Vary', () => {
    it('on a request header the key does not cover: not stored', async () => {
      const s = await serve(node, { protocol, renderMs: 10 });
      try {
        await s.get('/vary/a', { 'Accept-Language': 'en' });
        const fr = await s.get('/vary/a', { 'Accept-Language': 'fr' });
        expect(fr.headers['x-cache']).toBe('BYPASS');
        expect(fr.body.toString()).toMatch(/^lang fr/);
        expect(s.middleware.stats().notStored).toEqual({ vary: 1 });
      } finally {
        await s.close();
      }
    });

    it('on a header listed in `vary`: one entry per value', async () => {
      const s = await serve(node, { protocol, renderMs: 10, middleware: { vary: ['Accept-Language'] } });
      try {
        for (const lang of ['en', 'fr', 'en', 'fr']) await s.get('/vary/b', { 'Accept-Language': lang });
        const en = await s.get('/vary/b', { 'Accept-Language': 'en' });
        const fr = await s.get('/vary/b', { 'Accept-Language': 'fr' });
        expect([en.headers['x-cache'], fr.headers['x-cache']]).toEqual(['HIT', 'HIT']);
        expect([en.body.toString(), fr.body.toString()].map((b) => b.slice(0, 7))).toEqual([
          'lang en',
          'lang fr',
        ]);
        expect(en.headers.vary).toBe('Accept-Language');
        expect(s.renders['/vary/b']).toBe(2);
      } finally {
        await s.close();
      }
    });
  });

  describe('client-controlled bypass', () => {
    it('is ignored by default and honoured with clientBypass; other methods always bypass', async () => {
      const strict = await serve(node, { protocol, renderMs: 10 });
      const lenient = await serve(node, { protocol, renderMs: 10, middleware: { clientBypass: true } });
      try {
        for (const s of [strict, lenient]) await s.get('/page/client');
        const noCache = { 'Cache-Control': 'no-cache' };
        expect((await strict.get('/page/client', noCache)).headers['x-cache']).toBe('HIT');
        expect((await lenient.get('/page/client', noCache)).headers['x-cache']).toBe('BYPASS');
        const post = await request(strict.server).post('/page/client');
        expect(post.headers['x-cache']).toBe('BYPASS');
      } finally {
        await Promise.all([strict.close(), lenient.close()]);
      }
    });
  });
});
