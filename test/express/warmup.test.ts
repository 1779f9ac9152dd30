/**
 * The middleware feeds the warmup recorder (URL, frequency, render cost), and `warmup()` replays the
 * recorded URLs through a fresh app's middleware: each page rendered once, then served as a HIT.
 * On both protocols.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HotKeyRecorder, warmup } from '../../src/index.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS } from '../support/protocols.js';
import { serve } from './harness.js';

let node: MemcachedProcess;
beforeAll(async () => {
  node = await startMemcached();
});
afterAll(stopAllMemcached);

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('warmup of pages', () => {
    it('records served URLs with their render cost, and replays them into an empty cache', async () => {
      const recorder = new HotKeyRecorder({ queryParams: ['x', 'y'] });
      const live = await serve(node, { protocol, renderMs: 50, cache: { recorder } });
      // Live traffic names the site (a proxy in front keeps the Host); the crawler connects to an address.
      const site = { Host: 'shop.example' };
      try {
        for (const path of ['/page/a?y=2&x=1', '/page/a?y=2&x=1', '/page/b', '/text/c'])
          await live.get(path, site);
        await live.get('/page/private', { ...site, Cookie: 'sid=1' }); // bypassed: nothing to replay
      } finally {
        await live.close();
      }
      const hotlist = recorder.hotlist();
      expect(hotlist.map((e) => [e.key, e.count, e.replay])).toEqual(
        expect.arrayContaining([
          [
            'http:http://shop.example/page/a?x=1&y=2',
            2,
            { kind: 'url', url: 'http://shop.example/page/a?y=2&x=1' },
          ],
          ['http:http://shop.example/page/b', 1, { kind: 'url', url: 'http://shop.example/page/b' }],
          ['http:http://shop.example/text/c', 1, { kind: 'url', url: 'http://shop.example/text/c' }],
        ]),
      );
      expect(hotlist).toHaveLength(3);
      for (const entry of hotlist) expect(entry.costMs).toBeGreaterThanOrEqual(45); // the 50 ms render

      const fresh = await serve(node, { protocol, renderMs: 50 }); // a new namespace: an empty cache going live
      try {
        const baseUrl = `http://127.0.0.1:${(fresh.server.address() as AddressInfo).port}`;
        expect(await warmup({ entries: hotlist, baseUrl, rate: 0 })).toMatchObject({ warmed: 3, failed: 0 });
        expect((await fresh.get('/page/a?x=1&y=2', site)).headers['x-cache']).toBe('HIT');
        expect((await fresh.get('/text/c', site)).headers['x-cache']).toBe('HIT');
        expect(await warmup({ entries: hotlist, baseUrl, rate: 0 })).toMatchObject({ warmed: 0, skipped: 3 });
        expect(fresh.renders).toEqual({ '/page/a': 1, '/page/b': 1, '/text/c': 1 });
      } finally {
        await fresh.close();
      }
    });

    it('warms the scheme live traffic had behind a TLS proxy: X-Forwarded-Proto to an http base URL', async () => {
      const recorder = new HotKeyRecorder();
      const live = await serve(node, { protocol, renderMs: 10, cache: { recorder } });
      const site = { Host: 'shop.example', 'X-Forwarded-Proto': 'https' }; // the app trusts the proxy
      try {
        expect((await live.get('/scheme/a', site)).body.toString()).toMatch(/^https secure=true/);
      } finally {
        await live.close();
      }
      const hotlist = recorder.hotlist();
      expect(hotlist.map((e) => [e.key, e.replay])).toEqual([
        ['http:https://shop.example/scheme/a', { kind: 'url', url: 'https://shop.example/scheme/a' }],
      ]);
      const fresh = await serve(node, { protocol, renderMs: 10 });
      try {
        const baseUrl = `http://127.0.0.1:${(fresh.server.address() as AddressInfo).port}`;
        expect(await warmup({ entries: hotlist, baseUrl, rate: 0 })).toMatchObject({ warmed: 1, failed: 0 });
        const client = await fresh.get('/scheme/a', site);
        expect([client.headers['x-cache'], client.body.toString()]).toEqual([
          'HIT',
          expect.stringMatching(/^https secure=true/),
        ]);
        expect((await fresh.get('/scheme/a', { Host: 'shop.example' })).headers['x-cache']).toBe('MISS'); // http: another page
      } finally {
        await fresh.close();
      }
    });
  });
});
