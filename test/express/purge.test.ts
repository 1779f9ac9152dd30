/**
 * The middleware's invalidation (issue 12), over real memcached on both transports: pages tagged by their
 * `Surrogate-Key` response header (never sent to clients) or by the `tags(req, res)` option are purged by
 * `cache.invalidateTags()`, and a page is purged by its URL under the key the middleware stored it with
 * (scheme and host included, query canonical).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheMiddleware } from '../../src/express/index.js';
import { type Cache, createCache } from '../../src/index.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';

let node: MemcachedProcess;
beforeAll(async () => {
  node = await startMemcached();
});
afterAll(stopAllMemcached);

describe.each(['binary', 'meta'] as const)('middleware purge (%s)', (protocol) => {
  let cache: Cache;
  let server: Server;
  let renders = 0;
  let middleware: ReturnType<typeof cacheMiddleware>;
  const origin = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = (path: string) => request(server).get(path);

  beforeAll(async () => {
    cache = createCache({ servers: [node.address], namespace: `purge-${protocol}`, protocol });
    middleware = cacheMiddleware(cache, { tags: (req) => (req.path.startsWith('/list') ? ['lists'] : []) });
    const app = express();
    app.use(middleware);
    app.get('/product/:id', (req, res) => {
      res.setHeader('Surrogate-Key', `product-${req.params.id} catalog`);
      res.send(`product ${req.params.id} render ${++renders}`);
    });
    app.get('/list', (_req, res) => {
      res.send(`list render ${++renders}`);
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await cache.close();
  });

  it('purges a page tagged by Surrogate-Key by its tag, and never sends the header', async () => {
    const first = await get('/product/1');
    expect(first.headers['x-cache']).toBe('MISS');
    expect(first.headers['surrogate-key']).toBeUndefined();
    const hit = await get('/product/1');
    expect(hit.headers).toMatchObject({ 'x-cache': 'HIT' });
    expect(hit.headers['surrogate-key']).toBeUndefined();
    expect(hit.text).toBe(first.text);

    await cache.invalidateTags(['product-2']); // another page's tag: this one stays
    expect((await get('/product/1')).headers['x-cache']).toBe('HIT');
    await cache.invalidateTags(['product-1']);
    const after = await get('/product/1');
    expect(after.headers['x-cache']).toBe('MISS');
    expect(after.text).not.toBe(first.text);
    expect((await get('/product/1')).headers['x-cache']).toBe('HIT');
  });

  it('purges a page by its URL (scheme, host, canonical query) in one call', async () => {
    await get('/list?b=2&a=1');
    expect((await get('/list?a=1&b=2')).headers['x-cache']).toBe('HIT');
    expect(await middleware.purge(`${origin()}/list?a=1&b=2`)).toBe(true);
    expect((await get('/list?b=2&a=1')).headers['x-cache']).toBe('MISS');
    expect(await middleware.purge(`https://${new URL(origin()).host}/list?a=1&b=2`)).toBe(false); // other scheme
    expect(await middleware.purge(`${origin()}/list?a=1&b=2`, { hard: true })).toBe(true);
    expect((await get('/list?b=2&a=1')).headers['x-cache']).toBe('MISS');
  });

  it('purges pages tagged by the tags(req, res) option', async () => {
    await get('/list');
    expect((await get('/list')).headers['x-cache']).toBe('HIT');
    await cache.invalidateTags(['lists']);
    expect((await get('/list')).headers['x-cache']).toBe('MISS');
  });

  it('refuses a URL that is not absolute', async () => {
    await expect(middleware.purge('/product/1')).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
  });
});
