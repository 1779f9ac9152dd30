/**
 * Issue 9, items 7, 8, 9 and 15 for the middleware: real HTTP through Express and a real memcached,
 * asserting what each client received. Each of these served one client another's page before the fix.
 * On both protocols (null options need none).
 */
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import type express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheMiddleware, type ResponseCacheOptions } from '../../src/express/index.js';
import { readRecord } from '../../src/http/record.js';
import { createCache, InvalidOptionError } from '../../src/index.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS } from '../support/protocols.js';
import { serve } from './harness.js';

let node: MemcachedProcess;
beforeAll(async () => {
  node = await startMemcached();
});
afterAll(stopAllMemcached);

const text = (r: { body: Buffer }) => r.body.toString();

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('vary header values are keyed as sent (item 7)', () => {
    it('Acme is not acme, blue sky is not bluesky, an empty header is not none', async () => {
      const s = await serve(node, { protocol, renderMs: 5, middleware: { vary: ['accept-language'] } });
      try {
        // The route echoes the header (and declares Vary: Accept-Language, which the key covers).
        for (const value of ['Acme', 'acme', 'blue sky', 'bluesky', '']) {
          const r = await s.get('/vary/t', { 'Accept-Language': value });
          expect([r.headers['x-cache'], text(r)]).toEqual(['MISS', expect.stringMatching(`^lang ${value} `)]);
        }
        const none = await s.get('/vary/t');
        expect([none.headers['x-cache'], text(none)]).toEqual([
          'MISS',
          expect.stringMatching(/^lang undefined /),
        ]);
        const again = await s.get('/vary/t', { 'Accept-Language': 'blue sky' });
        expect([again.headers['x-cache'], text(again)]).toEqual([
          'HIT',
          expect.stringMatching(/^lang blue sky /),
        ]);
      } finally {
        await s.close();
      }
    });
  });

  describe('the host and scheme the app sees are in the key (item 8)', () => {
    it('a forged Host renders links to itself for its sender only', async () => {
      const s = await serve(node, { protocol, renderMs: 5 });
      try {
        const attacker = await s.get('/host/h', { Host: 'evil.example' });
        expect(text(attacker)).toContain('https://evil.example/next');
        const client = await s.get('/host/h', { Host: 'shop.example' });
        expect([client.headers['x-cache'], text(client)]).toEqual([
          'MISS',
          expect.stringContaining('https://shop.example/next'),
        ]);
        expect(text(await s.get('/host/h', { Host: 'shop.example' }))).toContain('https://shop.example/next');
      } finally {
        await s.close();
      }
    });

    it('with trust proxy, X-Forwarded-Proto: javascript stays its sender’s page', async () => {
      const s = await serve(node, { protocol, renderMs: 5 }); // the test app trusts proxies
      try {
        const attacker = await s.get('/scheme/p', { 'X-Forwarded-Proto': 'javascript' });
        expect(text(attacker)).toMatch(/^javascript secure=false/);
        const client = await s.get('/scheme/p');
        expect([client.headers['x-cache'], text(client)]).toEqual([
          'MISS',
          expect.stringMatching(/^http secure=false/),
        ]);
        const tls = await s.get('/scheme/p', { 'X-Forwarded-Proto': 'https' });
        expect([tls.headers['x-cache'], text(tls)]).toEqual([
          'MISS',
          expect.stringMatching(/^https secure=true/),
        ]);
      } finally {
        await s.close();
      }
    });

    it('serves a request whose target is not a path (absolute form) without the cache', async () => {
      const s = await serve(node, { protocol, renderMs: 5 });
      try {
        const { port } = s.server.address() as AddressInfo;
        const socket = net.connect(port, '127.0.0.1');
        socket.write(
          'GET http://other.example/page/t HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n',
        );
        const chunks: Buffer[] = [];
        for await (const chunk of socket) chunks.push(chunk as Buffer);
        expect(Buffer.concat(chunks).toString()).toMatch(/^HTTP\/1\.1 200[\s\S]*\r\nX-Cache: BYPASS\r\n/i);
        expect(s.middleware.stats().bypassed).toEqual({ target: 1 });
      } finally {
        await s.close();
      }
    });

    it('pins the hosts served with a key function (the docs/express.md example)', async () => {
      const HOSTS = new Set(['shop.example', 'www.shop.example']);
      const key = (req: express.Request) =>
        HOSTS.has(req.host) && `${req.protocol}://${req.host}${req.originalUrl}`;
      const s = await serve(node, { protocol, renderMs: 5, middleware: { key } });
      try {
        const attacker = await s.get('/host/k', { Host: 'evil.example' });
        expect(attacker.headers['x-cache']).toBe('BYPASS');
        const client = await s.get('/host/k', { Host: 'shop.example' });
        expect([client.headers['x-cache'], text(client)]).toEqual([
          'MISS',
          expect.stringContaining('https://shop.example/next'),
        ]);
        expect((await s.get('/host/k', { Host: 'shop.example' })).headers['x-cache']).toBe('HIT');
        expect(readRecord(await s.cache.get('http:http://shop.example/host/k'))).toMatchObject({
          status: 200,
        });
        expect(s.middleware.stats().bypassed).toEqual({ key: 1 });
      } finally {
        await s.close();
      }
    });
  });

  describe('invalid UTF-8 in the query (item 9)', () => {
    it.each(['extended', 'simple'])('with the %s parser, ?q=%FE and ?q=%FF are two pages', async (parser) => {
      const s = await serve(node, { protocol, renderMs: 5 });
      s.app.set('query parser', parser);
      try {
        const fe = await s.get('/page/u?q=%FE');
        const ff = await s.get('/page/u?q=%FF');
        expect(ff.headers['x-cache']).toBe('MISS');
        const seen = (r: { body: Buffer }) => JSON.parse(text(r)).query.q;
        if (parser === 'extended') expect([seen(fe), seen(ff)]).toEqual(['%FE', '%FF']);
        else expect([seen(fe), seen(ff)]).toEqual(['\ufffd', '\ufffd']);
        expect(seen(await s.get('/page/u?q=%FF'))).toBe(seen(ff));
        // Equivalent forms still share the page.
        expect((await s.get('/page/v?b=2&a=x+y')).headers['x-cache']).toBe('MISS');
        expect((await s.get('/page/v?a=x%20y&b=%32')).headers['x-cache']).toBe('HIT');
      } finally {
        await s.close();
      }
    });
  });
});

describe('null options (item 15)', () => {
  const cache = createCache({ servers: ['127.0.0.1:1'], safeMode: 'off' });
  afterAll(() => cache.close());

  it.each([
    'key',
    'vary',
    'statuses',
    'maxBodyBytes',
    'respectCacheControl',
    'bypassAuthorization',
    'bypassCookies',
    'bypassForwardedHost',
    'setCookie',
    'passTtl',
    'clientBypass',
    'ttl',
    'grace',
    'lock',
    'waitTimeoutMs',
    'onWaitTimeout',
    'staleIfError',
    'beta',
  ])('%s: null is an InvalidOptionError naming it', (name) => {
    const attempt = () => cacheMiddleware(cache, { [name]: null } as unknown as ResponseCacheOptions);
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(`\`middleware().${name}\``);
  });
});
