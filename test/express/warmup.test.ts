/**
 * The middleware feeds the warmup recorder (URL, frequency, render cost), and `warmup()` replays the
 * recorded URLs through a fresh app's middleware: each page rendered once, then served as a HIT.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HotKeyRecorder, warmup } from '../../src/index.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { serve } from './harness.js';

let node: MemcachedProcess;
beforeAll(async () => {
  node = await startMemcached();
});
afterAll(stopAllMemcached);

describe('warmup of pages', () => {
  it('records served URLs with their render cost, and replays them into an empty cache', async () => {
    const recorder = new HotKeyRecorder({ queryParams: ['x', 'y'] });
    const live = await serve(node, { renderMs: 50, cache: { recorder } });
    try {
      for (const path of ['/page/a?y=2&x=1', '/page/a?y=2&x=1', '/page/b', '/text/c']) await live.get(path);
      await live.get('/page/private', { Cookie: 'sid=1' }); // bypassed: nothing to replay
    } finally {
      await live.close();
    }
    const hotlist = recorder.hotlist();
    expect(hotlist.map((e) => [e.key, e.count, e.replay])).toEqual(
      expect.arrayContaining([
        ['http:/page/a?x=1&y=2', 2, { kind: 'url', url: '/page/a?y=2&x=1' }],
        ['http:/page/b', 1, { kind: 'url', url: '/page/b' }],
        ['http:/text/c', 1, { kind: 'url', url: '/text/c' }],
      ]),
    );
    expect(hotlist).toHaveLength(3);
    for (const entry of hotlist) expect(entry.costMs).toBeGreaterThanOrEqual(45); // the 50 ms render

    const fresh = await serve(node, { renderMs: 50 }); // a new namespace: an empty cache going live
    try {
      const baseUrl = `http://127.0.0.1:${(fresh.server.address() as AddressInfo).port}`;
      expect(await warmup({ entries: hotlist, baseUrl, rate: 0 })).toMatchObject({ warmed: 3, failed: 0 });
      expect((await fresh.get('/page/a?x=1&y=2')).headers['x-cache']).toBe('HIT');
      expect((await fresh.get('/text/c')).headers['x-cache']).toBe('HIT');
      expect(await warmup({ entries: hotlist, baseUrl, rate: 0 })).toMatchObject({ warmed: 0, skipped: 3 });
      expect(fresh.renders).toEqual({ '/page/a': 1, '/page/b': 1, '/text/c': 1 });
    } finally {
      await fresh.close();
    }
  });
});
