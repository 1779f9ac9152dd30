/**
 * The test app in the test process, over a real memcached, behind a real loopback server, with supertest
 * requests whose bodies are always raw Buffers (so bytes are compared, not parsed text).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { type Cache, type CacheOptions, createCache } from '../../src/index.js';
import { createTestApp, type TestApp, type TestAppOptions } from '../fixtures/express-app.js';
import type { MemcachedProcess } from '../support/memcached.js';
import type { Protocol } from '../support/protocols.js';

export interface Served extends TestApp {
  cache: Cache;
  server: Server;
  get(path: string, headers?: Record<string, string>): Promise<request.Response>;
  head(path: string, headers?: Record<string, string>): Promise<request.Response>;
  /** The cache key of a GET of `path` (no `vary`) sent to this server, as the client's Host is its address. */
  key(path: string): string;
  close(): Promise<void>;
}

let apps = 0;

/**
 * A cache on `protocol` (default: the cache's default) in its own namespace (tests share one memcached)
 * and the test app on a loopback port.
 */
export async function serve(
  node: MemcachedProcess,
  options: TestAppOptions & { cache?: CacheOptions; protocol?: Protocol } = {},
): Promise<Served> {
  const cache = createCache({
    ...(options.protocol ? { protocol: options.protocol } : {}),
    servers: [node.address],
    namespace: `xp${process.pid}-${apps++}`,
    ...options.cache,
  });
  const served = createTestApp(cache, options);
  const server = served.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const send = (method: 'get' | 'head', path: string, headers: Record<string, string>) =>
    request(server)[method](path).set(headers).buffer(true).parse(rawBody);
  return {
    ...served,
    cache,
    server,
    get: (path, headers = {}) => send('get', path, headers),
    head: (path, headers = {}) => send('head', path, headers),
    key: (path) => `http:http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await cache.close();
    },
  };
}

/** supertest parser keeping the body as bytes (after superagent's own gunzip, if any). */
function rawBody(res: NodeJS.EventEmitter, done: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

/** The `X-Cache` values of responses, counted. */
export function cacheStatuses(responses: Array<{ headers: Record<string, string> }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of responses)
    counts[r.headers['x-cache'] ?? 'none'] = (counts[r.headers['x-cache'] ?? 'none'] ?? 0) + 1;
  return counts;
}
