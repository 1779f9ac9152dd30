/** The crawler over a local HTTP server and a MemoryStore cache: outcomes, retries, limits, stop. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type Cache,
  createCache,
  type HotlistEntry,
  MemoryStore,
  planWarmup,
  type WarmupProgress,
  warmup,
} from '../../src/index.js';
import { deferred } from '../support/deferred.js';

interface Server {
  baseUrl: string;
  hits: Map<string, number>;
  maxInFlight: number;
  close(): Promise<void>;
}

/**
 * Answers by path: `/status/<code>`, `/flaky/<n>` (503 for the first n requests), `/once/*` (500 after the
 * first request), `/hit/*`, `/wait/*`, `/bypass/*` and `/miss/*` (always that X-Cache), anything else
 * MISS the first time it is served and HIT after.
 */
async function startServer(hold?: Promise<void>): Promise<Server> {
  const hits = new Map<string, number>();
  const stored = new Set<string>();
  let inFlight = 0;
  const state = { maxInFlight: 0 };
  const server = http.createServer(async (req, res) => {
    const path = req.url ?? '/';
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    if (hold) await hold;
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight--;
    const [, kind, arg] = path.split('/');
    if (kind === 'status') res.writeHead(Number(arg)).end('status');
    else if (kind === 'flaky' && n <= Number(arg)) res.writeHead(503).end('busy');
    else if (kind === 'once' && n > 1) res.writeHead(500).end('down');
    else {
      // Like the middleware: a page rendered once is stored, and a request after it is a HIT.
      const xCache = XCACHE[kind ?? ''] ?? (stored.has(path) ? 'HIT' : 'MISS');
      stored.add(path);
      res.writeHead(200, { 'x-cache': xCache }).end('page');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    hits,
    get maxInFlight() {
      return state.maxInFlight;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const XCACHE: Record<string, string> = { hit: 'HIT', wait: 'WAIT', bypass: 'BYPASS', miss: 'MISS' };

const urlEntry = (url: string, count = 1, costMs = 10): HotlistEntry => ({
  key: url,
  count,
  costMs,
  replay: { kind: 'url', url },
});
const fast = { rate: 0, retryDelayMs: 1 };

let server: Server | undefined;
let cache: Cache | undefined;
beforeEach(() => {
  cache = createCache({ store: new MemoryStore(), safeMode: 'off' });
});
afterEach(async () => {
  await server?.close();
  await cache?.close();
  server = undefined;
});

describe('warmup() with URL entries', () => {
  it('warms misses, skips hits, retries 5xx, fails a 4xx at once, and sums the saved cost', async () => {
    server = await startServer();
    const progress: WarmupProgress[] = [];
    const summary = await warmup({
      entries: [
        urlEntry('/page/1', 1, 30),
        urlEntry('/hit/2'),
        urlEntry('/flaky/2', 1, 12),
        urlEntry('/status/404'),
      ],
      baseUrl: server.baseUrl,
      onProgress: (p) => progress.push(p),
      ...fast,
    });
    expect(summary).toMatchObject({
      total: 4,
      warmed: 2,
      skipped: 1,
      failed: 1,
      notRun: 0,
      interrupted: false,
    });
    expect(summary.estimatedSavedMs).toBe(42);
    expect(summary.failures).toEqual([
      { key: '/status/404', target: `${server.baseUrl}/status/404`, error: 'HTTP 404' },
    ]);
    expect(server.hits.get('/flaky/2')).toBe(4); // two 503s, the render, the check that it was stored
    expect(server.hits.get('/status/404')).toBe(1); // not retried
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4]);
  });

  it('gives up after `retries` and counts a failure', async () => {
    server = await startServer();
    const summary = await warmup({
      entries: [urlEntry('/status/500')],
      baseUrl: server.baseUrl,
      retries: 1,
      ...fast,
    });
    expect(summary).toMatchObject({ failed: 1, failures: [{ error: 'HTTP 500' }] });
    expect(server.hits.get('/status/500')).toBe(2);
  });

  it('counts a page someone else rendered while it waited (WAIT) as skipped, and one not cached (BYPASS) as uncacheable', async () => {
    server = await startServer();
    const summary = await warmup({
      entries: [urlEntry('/wait/1', 1, 30), urlEntry('/bypass/1', 1, 40)],
      baseUrl: server.baseUrl,
      ...fast,
    });
    expect(summary).toMatchObject({ warmed: 0, skipped: 1, uncacheable: 1, failed: 0, estimatedSavedMs: 0 });
    expect(summary.failures).toEqual([]);
    expect(server.hits.get('/bypass/1')).toBe(1); // not retried: the app chose not to cache it
  });

  it('counts a render that a second request finds not stored as uncacheable; a failed check keeps warmed', async () => {
    server = await startServer();
    const summary = await warmup({
      entries: [urlEntry('/miss/1'), urlEntry('/once/1')],
      baseUrl: server.baseUrl,
      ...fast,
    });
    expect(summary).toMatchObject({ warmed: 1, uncacheable: 1, failed: 0, estimatedSavedMs: 10 });
    expect(server.hits.get('/miss/1')).toBe(2); // the render and the check, not retried
    expect(server.hits.get('/once/1')).toBe(2); // the check failed: the render's answer stands
  });

  it('counts a HIT as warmed with force', async () => {
    server = await startServer();
    const summary = await warmup({
      entries: [urlEntry('/hit/1')],
      baseUrl: server.baseUrl,
      force: true,
      ...fast,
    });
    expect(summary).toMatchObject({ warmed: 1, skipped: 0 });
  });

  it('never has more than `concurrency` requests in flight', async () => {
    server = await startServer();
    const entries = Array.from({ length: 40 }, (_, i) => urlEntry(`/page/${i}`));
    const summary = await warmup({ entries, baseUrl: server.baseUrl, concurrency: 3, ...fast });
    expect(summary.warmed).toBe(40);
    expect(server.maxInFlight).toBeLessThanOrEqual(3);
    expect(server.maxInFlight).toBeGreaterThan(1);
  });

  it('replays only paths of the base URL, the first `top` replayable entries, in order', () => {
    const entries = [
      { key: 'raw', count: 9, costMs: 9, replay: null },
      urlEntry('ftp://elsewhere.example/x'),
      urlEntry('//elsewhere.example/x'),
      { key: 'l', count: 1, costMs: 1, replay: { kind: 'loader' as const, name: 'nope', args: [] } },
      urlEntry('/a'),
      urlEntry('/b?q=1'),
      urlEntry('/c'),
    ];
    const plan = planWarmup({ entries, baseUrl: 'http://127.0.0.1:9/app', top: 2 });
    expect(plan.entries.map((e) => e.target)).toEqual(['http://127.0.0.1:9/a', 'http://127.0.0.1:9/b?q=1']);
    expect(plan.ignored).toEqual({
      'no replay recorded': 1,
      'url is neither a path nor an http(s) URL': 2,
      'no loader named "nope"': 1,
    });
  });

  it('sends a recorded URL to the base URL with its Host as recorded, and its scheme as X-Forwarded-Proto', async () => {
    const seen: Array<[string | undefined, string | undefined, string | undefined]> = [];
    const rendered = new Set<string>();
    const app = http.createServer((req, res) => {
      seen.push([req.url, req.headers.host, req.headers['x-forwarded-proto'] as string | undefined]);
      if (req.url === '/hang') return; // never answers
      // Like the middleware: the first request renders (MISS), the crawler's check then finds it stored.
      const page = `${req.headers.host}${req.url}`;
      res.writeHead(200, { 'x-cache': rendered.has(page) ? 'HIT' : 'MISS' }).end('page');
      rendered.add(page);
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    try {
      const entries = [
        urlEntry('https://Shop.Example:8443/p?q=1'),
        urlEntry('http://shop.example/p'),
        urlEntry('/p'),
      ];
      expect(planWarmup({ entries, baseUrl }).entries.map((e) => e.target)).toEqual([
        'https://Shop.Example:8443/p?q=1',
        'http://shop.example/p',
        `${baseUrl}/p`,
      ]);
      expect(await warmup({ entries, baseUrl, concurrency: 1, ...fast })).toMatchObject({ warmed: 3 });
      // Each page twice: the render, then the check that it was stored, with the same Host and scheme.
      const local = `127.0.0.1:${(app.address() as AddressInfo).port}`;
      expect(seen).toEqual([
        ['/p?q=1', 'Shop.Example:8443', 'https'],
        ['/p?q=1', 'Shop.Example:8443', 'https'],
        ['/p', 'shop.example', undefined],
        ['/p', 'shop.example', undefined],
        ['/p', local, undefined],
        ['/p', local, undefined],
      ]);
      const hung = await warmup({
        entries: [urlEntry('/hang')],
        baseUrl,
        timeoutMs: 50,
        retries: 0,
        ...fast,
      });
      expect(hung).toMatchObject({ failed: 1, failures: [{ error: 'timed out after 50 ms' }] });
    } finally {
      app.closeAllConnections();
      await new Promise((resolve) => app.close(resolve));
    }
  });

  it('a stop during a retry delay cuts it short; the failure keeps the cause of the last attempt', async () => {
    server = await startServer();
    const stop = new AbortController();
    const running = warmup({
      entries: [urlEntry('/flaky/99')],
      baseUrl: server.baseUrl,
      retries: 3,
      retryDelayMs: 10_000,
      rate: 0,
      signal: stop.signal,
    });
    await expect.poll(() => server?.hits.get('/flaky/99')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the first attempt failed: now in its delay
    stop.abort(new Error('interrupted'));
    const summary = await running;
    expect(summary).toMatchObject({ interrupted: true, failed: 1, failures: [{ error: 'HTTP 503' }] });
    expect(summary.durationMs).toBeLessThan(5000);
    expect(server.hits.get('/flaky/99')).toBe(1);
  });

  it('stops scheduling on abort, lets the entries in flight finish, and reports the rest as not run', async () => {
    const release = deferred();
    server = await startServer(release.promise);
    const stop = new AbortController();
    const entries = Array.from({ length: 10 }, (_, i) => urlEntry(`/page/${i}`));
    const running = warmup({
      entries,
      baseUrl: server.baseUrl,
      concurrency: 2,
      signal: stop.signal,
      ...fast,
    });
    await expect.poll(() => server?.hits.size).toBe(2);
    stop.abort();
    release.resolve();
    const summary = await running;
    expect(summary).toMatchObject({ interrupted: true, warmed: 2, failed: 0, notRun: 8 });
    expect(server.hits.size).toBe(2);
  });
});

describe('warmup() with loader entries', () => {
  const loaderEntry = (
    name: string,
    args: unknown[],
    key = `${name}:${JSON.stringify(args)}`,
  ): HotlistEntry => ({
    key,
    count: 1,
    costMs: 5,
    replay: { kind: 'loader', name, args },
  });

  it('loads through cached() under the same key, skips what is cached, reloads with force', async () => {
    const calls: unknown[][] = [];
    const product = async (id: number, opts: { full: boolean }) => {
      calls.push([id, opts]);
      return { id, ...opts };
    };
    const c = cache as Cache;
    const entries = [
      loaderEntry('product', [1, { full: true }]),
      loaderEntry('product', [2, { full: false }]),
    ];
    const loaders = { product: { fn: product, options: { ttl: 600 } } };

    const first = await warmup({ entries, cache: c, loaders, ...fast });
    expect(first).toMatchObject({ warmed: 2, skipped: 0, failed: 0 });
    expect(await c.get('product:[1,{"full":true}]')).toEqual({ id: 1, full: true });
    // The application's own cached() function now hits.
    const live = c.cached('product', product);
    expect(await live(2, { full: false })).toEqual({ id: 2, full: false });
    expect(calls).toHaveLength(2);

    expect(await warmup({ entries, cache: c, loaders, ...fast })).toMatchObject({ warmed: 0, skipped: 2 });
    expect(calls).toHaveLength(2);
    expect(await warmup({ entries, cache: c, loaders, force: true, ...fast })).toMatchObject({ warmed: 2 });
    expect(calls).toHaveLength(4);
  });

  it('retries a failing loader and fails it after the retries, without blocking the others', async () => {
    let attempts = 0;
    const flaky = async () => {
      attempts++;
      if (attempts < 2) throw new Error('database busy');
      return 'ok';
    };
    const broken = async () => {
      throw new Error('table missing\nwith a second line');
    };
    const summary = await warmup({
      entries: [loaderEntry('flaky', []), loaderEntry('broken', [])],
      cache: cache as Cache,
      loaders: { flaky, broken },
      retries: 2,
      ...fast,
    });
    expect(summary).toMatchObject({
      warmed: 1,
      failed: 1,
      failures: [{ key: 'broken:[]', error: 'table missing' }],
    });
    expect(attempts).toBe(2);
  });

  it('caps the delay before a retry at 30 s, however many retries', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let attempts = 0;
      const down = async () => {
        attempts++;
        throw new Error('database down');
      };
      const running = warmup({
        entries: [loaderEntry('down', [])],
        cache: cache as Cache,
        loaders: { down },
        retries: 8,
        retryDelayMs: 1000,
        rate: 0,
      });
      // Doubling from 1 s with jitter (x1 to x2), capped: at most 2+4+8+16+30+30+30+30 = 150 s;
      // uncapped, at least 1+2+...+128 = 255 s.
      await vi.advanceTimersByTimeAsync(151_000);
      expect(attempts).toBe(9);
      expect(await running).toMatchObject({ failed: 1, failures: [{ error: 'database down' }] });
    } finally {
      vi.useRealTimers();
    }
  });

  it('fails an attempt that outlives timeoutMs; a retry joins the load still running', async () => {
    const slow = deferred<string>();
    let loads = 0;
    const summary = warmup({
      entries: [loaderEntry('slow', [])],
      cache: cache as Cache,
      loaders: {
        slow: () => {
          loads++;
          return slow.promise;
        },
      },
      timeoutMs: 20,
      retries: 1,
      ...fast,
    });
    expect(await summary).toMatchObject({ failed: 1, failures: [{ error: 'timed out after 20 ms' }] });
    expect(loads).toBe(1);
    slow.resolve('late');
  });

  it('validates options with a TypeError naming the option', async () => {
    const entries: HotlistEntry[] = [];
    await expect(warmup({ entries, concurrency: 0 })).rejects.toThrow(/`concurrency`/);
    await expect(warmup({ entries, concurency: 2 } as never)).rejects.toThrow(/`concurency` must be a known/);
    await expect(warmup({ entries, rate: -1 })).rejects.toThrow(/`rate`/);
    await expect(warmup({ entries, timeoutMs: Number.NaN })).rejects.toThrow(/`timeoutMs`/);
    await expect(warmup({ entries, retries: 1.5 })).rejects.toThrow(/`retries`/);
    await expect(warmup({ entries, baseUrl: 'ftp://x' })).rejects.toThrow(/`baseUrl`/);
    await expect(warmup({ entries, loaders: { a: () => 1 } })).rejects.toThrow(/`cache`/);
    await expect(warmup({ entries, cache: cache as Cache, loaders: { a: 1 as never } })).rejects.toThrow(
      /`loaders\.a`/,
    );
    await expect(warmup({ entries: 'x' as never })).rejects.toBeInstanceOf(TypeError);
  });
});
