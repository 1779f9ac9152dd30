/**
 * Outcomes through the real middleware over memcached: a page the middleware cannot store is
 * `uncacheable` from the first run on (its render answers MISS, like a stored one's), and a stored page
 * is `warmed` then `skipped`, rendered once. On both protocols.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HotlistEntry, warmup } from '../../src/index.js';
import { serve } from '../express/harness.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS } from '../support/protocols.js';

let node: MemcachedProcess;
beforeAll(async () => {
  node = await startMemcached();
});
afterAll(stopAllMemcached);

const entry = (url: string): HotlistEntry => ({
  key: url,
  count: 1,
  costMs: 1,
  replay: { kind: 'url', url },
});

describe.each(PROTOCOLS)('on %s', (protocol) => {
  it('reports a page that cannot be stored as uncacheable on the first run, as on the next', async () => {
    const app = await serve(node, { protocol });
    try {
      const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const entries = ['/page/ok', '/cache-control/p?cc=private', '/cookie/c'].map(entry);
      const first = await warmup({ entries, baseUrl, rate: 0, concurrency: 1 });
      expect(first).toMatchObject({ warmed: 1, uncacheable: 2, skipped: 0, failed: 0 });
      expect(first.estimatedSavedMs).toBe(1);
      const second = await warmup({ entries, baseUrl, rate: 0, concurrency: 1 });
      expect(second).toMatchObject({ warmed: 0, uncacheable: 2, skipped: 1, failed: 0 });
      // The check of a stored page is a hit; a page that is never stored renders for each request.
      expect(app.renders['/page/ok']).toBe(1);
      expect(app.renders['/cache-control/p']).toBe(3);
    } finally {
      await app.close();
    }
  });
});
