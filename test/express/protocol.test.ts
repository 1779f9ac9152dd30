/**
 * The read-through protocol for whole responses, in one process over a real memcached: one render per
 * stampede, X-Cache and Age, HEAD and 304 from the cache, keys, TTL from Cache-Control, grace with one
 * background render, a renderer whose client goes away. On both memcached protocols.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cacheMiddleware, type ResponseCacheEvents } from '../../src/express/index.js';
import { readRecord } from '../../src/http/record.js';
import { createCache } from '../../src/index.js';
import { CountingStore } from '../support/counting-store.js';
import { deferred } from '../support/deferred.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS, poolOn } from '../support/protocols.js';
import { cacheStatuses, serve } from './harness.js';

let node: MemcachedProcess;
beforeAll(async () => {
  node = await startMemcached();
});
afterAll(stopAllMemcached);

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('a cold page hit by many requests in one process', () => {
    it('is rendered once; the renderer gets MISS, the others WAIT, and later requests HIT with Age', async () => {
      const s = await serve(node, { protocol });
      try {
        const responses = await Promise.all(Array.from({ length: 30 }, () => s.get('/page/cold')));
        expect(s.renders['/page/cold']).toBe(1);
        expect(responses.map((r) => r.status)).toEqual(new Array(30).fill(200));
        expect(new Set(responses.map((r) => r.body.toString())).size).toBe(1);
        expect(cacheStatuses(responses)).toEqual({ MISS: 1, WAIT: 29 });
        // Replays keep what the render produced: type, length, ETag.
        const miss = responses.find((r) => r.headers['x-cache'] === 'MISS');
        const wait = responses.find((r) => r.headers['x-cache'] === 'WAIT');
        for (const name of ['content-type', 'content-length', 'etag'])
          expect(wait?.headers[name]).toBe(miss?.headers[name]);
        expect(wait?.headers['set-cookie']).toBeUndefined();

        await sleep(1100);
        const hit = await s.get('/page/cold');
        expect(hit.headers['x-cache']).toBe('HIT');
        expect(Number(hit.headers.age)).toBeGreaterThanOrEqual(1);
        expect(hit.body.toString()).toBe(miss?.body.toString());
        expect(s.renders['/page/cold']).toBe(1);
        expect(s.middleware.stats()).toMatchObject({ miss: 1, wait: 29, hit: 1, bypass: 0 });
      } finally {
        await s.close();
      }
    });
  });

  describe('HEAD and conditional requests', () => {
    it('answers HEAD from the cached GET, and renders a HEAD miss without storing it', async () => {
      const s = await serve(node, { protocol, renderMs: 10 });
      try {
        const miss = await s.head('/page/head');
        expect(miss.headers['x-cache']).toBe('BYPASS');
        expect(s.renders['/page/head']).toBe(1);
        expect((await s.get('/page/head')).headers['x-cache']).toBe('MISS'); // the HEAD stored nothing
        const get = await s.get('/page/head');
        const head = await s.head('/page/head');
        expect(head.status).toBe(200);
        expect(head.headers['x-cache']).toBe('HIT');
        expect(head.headers['content-length']).toBe(String(get.body.length));
        expect(Buffer.isBuffer(head.body) ? head.body.length : 0).toBe(0); // superagent skips HEAD bodies
        expect(s.renders['/page/head']).toBe(2);
      } finally {
        await s.close();
      }
    });

    it("answers a stale HEAD STALE by the middleware's grace, whatever the cache's (regression)", async () => {
      // Before: HEAD went through cache.get(), which applied the cache's grace (0) first: BYPASS.
      const s = await serve(node, {
        protocol,
        renderMs: 10,
        cache: { grace: 0 },
        middleware: { ttl: 1, grace: 600 },
      });
      try {
        expect((await s.get('/page/stale-head')).headers['x-cache']).toBe('MISS');
        await sleep(1100); // past ttl, within the middleware's grace
        const head = await s.head('/page/stale-head');
        expect(head.status).toBe(200);
        expect(head.headers['x-cache']).toBe('STALE');
        expect(s.renders['/page/stale-head']).toBe(1);
      } finally {
        await s.close();
      }
    });

    it('answers a matching If-None-Match with 304; the renderer itself always gets the full 200', async () => {
      const s = await serve(node, { protocol, renderMs: 10 });
      try {
        const first = await s.get('/page/etag', { 'If-None-Match': '*' });
        expect(first.status).toBe(200); // validators are not applied to the render that is shared
        expect(first.headers['x-cache']).toBe('MISS');
        const etag = first.headers.etag as string;
        const notModified = await s.get('/page/etag', { 'If-None-Match': `"other", ${etag}` });
        expect(notModified.status).toBe(304);
        expect(notModified.headers['x-cache']).toBe('HIT');
        expect(notModified.headers.etag).toBe(etag);
        expect(notModified.body.length).toBe(0);
        const changed = await s.get('/page/etag', { 'If-None-Match': '"other"' });
        expect(changed.status).toBe(200);
        expect(changed.body.toString()).toBe(first.body.toString());
        expect(s.renders['/page/etag']).toBe(1);
      } finally {
        await s.close();
      }
    });
  });

  describe('pages in the memory tier', () => {
    it('answers GET, HEAD and conditional GETs from it, with no memcached call, byte for byte', async () => {
      const store = new CountingStore(poolOn(protocol, [node], 1000));
      const s = await serve(node, { cache: { store, memory: { maxEntries: 100, ttl: 60 } } });
      try {
        const miss = await s.get('/page/tier');
        expect(miss.headers['x-cache']).toBe('MISS');
        await sleep(200); // the render's own write and lock release end after its client got the page
        const calls = store.calls;
        const hits = await Promise.all([s.get('/page/tier'), s.get('/page/tier'), s.get('/page/tier')]);
        for (const hit of hits) {
          expect(hit.headers['x-cache']).toBe('HIT');
          expect(hit.body.equals(miss.body)).toBe(true);
          for (const name of ['content-type', 'content-length', 'etag'])
            expect(hit.headers[name]).toBe(miss.headers[name]);
        }
        const head = await s.head('/page/tier');
        expect(head.headers['x-cache']).toBe('HIT');
        expect(head.headers['content-length']).toBe(miss.headers['content-length']);
        expect(head.status).toBe(200);
        const notModified = await s.get('/page/tier', { 'If-None-Match': miss.headers.etag as string });
        expect(notModified.status).toBe(304);
        expect(notModified.body.length).toBe(0);
        expect(store.calls).toBe(calls);
        expect(s.renders['/page/tier']).toBe(1);
        expect(s.cache.stats().memoryHits).toBe(4); // the GETs; HEAD reads the tier through peek()
      } finally {
        await s.close();
        await store.close();
      }
    });
  });

  describe('keys', () => {
    it('share a page between query orders and encodings, and cover the host', async () => {
      const s = await serve(node, { protocol, renderMs: 10 });
      try {
        expect((await s.get('/page/q?b=2&a=1&a=0')).headers['x-cache']).toBe('MISS');
        expect((await s.get('/page/q?a=1&a=0&b=%32')).headers['x-cache']).toBe('HIT');
        expect((await s.get('/page/q?a=0&a=1&b=2')).headers['x-cache']).toBe('MISS'); // repeated names keep order
        expect((await s.get('/page/q?b=2&a=1&a=0', { Host: 'other.example' })).headers['x-cache']).toBe(
          'MISS',
        );
        expect(s.renders['/page/q']).toBe(3);
      } finally {
        await s.close();
      }
    });

    it('come from the key option, which can also skip a request', async () => {
      const s = await serve(node, {
        protocol,
        renderMs: 10,
        middleware: { key: (req) => (req.query.nocache ? false : `custom:${req.path}`) },
      });
      try {
        expect((await s.get('/page/k?x=1')).headers['x-cache']).toBe('MISS');
        expect((await s.get('/page/k?x=2')).headers['x-cache']).toBe('HIT'); // the query is not in this key
        expect((await s.get('/page/k?nocache=1')).headers['x-cache']).toBe('BYPASS');
        expect(readRecord(await s.cache.get('http:custom:/page/k'))).toMatchObject({ status: 200 });
        expect(s.middleware.stats().bypassed).toEqual({ key: 1 });
      } finally {
        await s.close();
      }
    });
  });

  describe('more than one cache middleware on a route', () => {
    it('leaves the request to the first: one flight, no request waiting for itself', async () => {
      const cache = createCache({
        protocol,
        servers: [node.address],
        namespace: `twice${process.pid}-${protocol}`,
      });
      let renders = 0;
      const app = express();
      app.use(cacheMiddleware(cache));
      app.get('/twice', cacheMiddleware(cache, { ttl: 5 }), (_req, res) => {
        renders++;
        res.send('once');
      });
      try {
        // One Host, as behind a proxy: each request(app) listens on a port of its own.
        const get = () => request(app).get('/twice').set('Host', 'shop.example');
        const responses = await Promise.all([get(), get()]);
        expect(responses.map((r) => r.text)).toEqual(['once', 'once']);
        expect(cacheStatuses(responses).MISS).toBe(1);
        expect(renders).toBe(1);
      } finally {
        await cache.close();
      }
    });

    it('leaves a request the first bypassed to the first: the second does not cache it either', async () => {
      const cache = createCache({
        protocol,
        servers: [node.address],
        namespace: `twice-bypass${process.pid}-${protocol}`,
      });
      let renders = 0;
      const app = express();
      app.use(cacheMiddleware(cache)); // bypasses a request with a cookie
      app.get('/mine', cacheMiddleware(cache, { bypassCookies: false }), (req, res) => {
        renders++;
        res.send(`for ${req.headers.cookie}`);
      });
      try {
        const get = (cookie: string) =>
          request(app).get('/mine').set('Host', 'shop.example').set('Cookie', cookie);
        const first = await get('sid=a');
        const second = await get('sid=b');
        expect([first.text, second.text]).toEqual(['for sid=a', 'for sid=b']);
        expect([first.headers['x-cache'], second.headers['x-cache']]).toEqual(['BYPASS', 'BYPASS']);
        expect(renders).toBe(2);
      } finally {
        await cache.close();
      }
    });
  });

  describe('freshness', () => {
    it('takes the TTL from max-age with respectCacheControl', async () => {
      const s = await serve(node, { protocol, renderMs: 10, middleware: { respectCacheControl: true } });
      try {
        const path = '/cache-control/ttl?cc=public,max-age=1';
        expect((await s.get(path)).headers['x-cache']).toBe('MISS');
        expect((await s.get(path)).headers['x-cache']).toBe('HIT');
        await sleep(1100);
        expect((await s.get(path)).headers['x-cache']).toBe('MISS'); // the cache's ttl (60 s) did not apply
        const zero = '/cache-control/ttl?cc=max-age=0';
        await s.get(zero);
        expect(s.middleware.stats().notStored).toEqual({ 'max-age': 1 });
      } finally {
        await s.close();
      }
    });

    it('serves STALE at once in grace while exactly one background render refreshes the page', async () => {
      const s = await serve(node, { protocol, renderMs: 300, middleware: { ttl: 1, grace: 60 } });
      const events: Array<ResponseCacheEvents['response']> = [];
      s.middleware.on('response', (e) => events.push(e));
      try {
        const first = await s.get('/page/grace');
        await sleep(1100);
        const stale = await Promise.all(Array.from({ length: 10 }, () => s.get('/page/grace')));
        expect(cacheStatuses(stale)).toEqual({ STALE: 10 }); // nobody waited for the re-render (it would be WAIT)
        expect(stale.every((r) => r.body.equals(first.body))).toBe(true);
        await vi.waitFor(async () => expect((await s.get('/page/grace')).headers['x-cache']).toBe('HIT'), {
          timeout: 3000,
        });
        expect(s.renders['/page/grace']).toBe(2);
        const fresh = await s.get('/page/grace');
        expect(fresh.body.equals(first.body)).toBe(false);
        expect(events.filter((e) => e.cacheStatus === 'MISS')).toHaveLength(1);
      } finally {
        await s.close();
      }
    });
  });

  describe('the background render of an HTTPS site', () => {
    it('sees the request as the client made it: https, secure', async () => {
      const s = await serve(node, { protocol, renderMs: 10, middleware: { ttl: 1, grace: 60 } });
      // What Express reads of a TLS connection (req.protocol, req.secure): the socket's `encrypted`.
      s.server.on('connection', (socket) => Object.assign(socket, { encrypted: true }));
      try {
        expect((await s.get('/scheme/a')).body.toString()).toMatch(/^https secure=true /);
        await sleep(1100);
        expect((await s.get('/scheme/a')).headers['x-cache']).toBe('STALE');
        await vi.waitFor(() => expect(s.renders['/scheme/a']).toBe(2));
        const refreshed = await s.get('/scheme/a');
        expect(refreshed.headers['x-cache']).toBe('HIT');
        expect(refreshed.body.toString()).toMatch(/^https secure=true \d+-2$/);
      } finally {
        await s.close();
      }
    });
  });

  describe('a request whose client left while it waited', () => {
    it('does not render for nobody when its turn comes', async () => {
      const namespace = `gone${process.pid}-${protocol}`;
      const s = await serve(node, {
        protocol,
        renderMs: 10,
        cache: { namespace },
        middleware: { waitTimeoutMs: 300 },
      });
      const other = createCache({ protocol, servers: [node.address], namespace }); // another process holding the lock
      const release = deferred<string>();
      const held = other.wrap(s.key('/page/gone'), () => release.promise, { lock: true });
      try {
        await vi.waitFor(async () => expect(await s.cache.get(s.key('/page/gone'))).toBeUndefined());
        const busy = new Promise((resolve) => s.cache.once('lock:busy', resolve));
        const timedOut = new Promise((resolve) => s.cache.once('wait:timeout', resolve));
        const { port } = s.server.address() as AddressInfo;
        const req = http.get({ port, host: '127.0.0.1', path: '/page/gone' });
        req.on('error', () => {});
        await busy;
        req.destroy();
        await timedOut; // its turn: onWaitTimeout 'load'
        await sleep(100);
        expect(s.renders['/page/gone']).toBeUndefined();
      } finally {
        release.resolve('x');
        await held;
        await other.close();
        await s.close();
      }
    });
  });

  describe('a renderer whose client goes away', () => {
    it('releases its waiters, who go through the protocol again: one renders, the others wait for it', async () => {
      const s = await serve(node, { protocol, renderMs: 50 });
      try {
        const { port } = s.server.address() as AddressInfo;
        const aborted = new Promise<void>((resolve) => {
          const req = http.get({ port, host: '127.0.0.1', path: '/abort/a?tail=400' }, (res) => {
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          });
          req.on('error', () => {});
        });
        await vi.waitFor(() => expect(s.renders['/abort/a']).toBe(1));
        const waiters = Array.from({ length: 5 }, () => s.get('/abort/a?tail=400'));
        await aborted;
        const responses = await Promise.all(waiters);
        expect(s.renders['/abort/a']).toBe(2);
        expect(cacheStatuses(responses)).toEqual({ MISS: 1, WAIT: 4 });
        expect(responses.every((r) => r.body.toString().endsWith('end\n'))).toBe(true);
        expect(s.middleware.stats().notStored).toEqual({ aborted: 1 });
      } finally {
        await s.close();
      }
    });
  });
});
