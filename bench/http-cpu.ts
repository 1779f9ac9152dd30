/**
 * `npm run bench:http-cpu -- <variant> [requests]`: the JavaScript CPU time one cached page costs, with
 * no socket and no load generator: requests go through the same Express app as the http-hot-path worker
 * (bare route, apicache, the middleware without and with the memory tier) on in-memory sockets, 16 at a
 * time over 16 pages, and the process's CPU time (`process.cpuUsage()`) and GC time (`gc` performance
 * entries) are divided by the requests. What http-hot-path's req/s cannot show on a shared 2-core machine:
 * which variant's own code costs more. Kernel time (socket writes and reads) is left out by design; the
 * middleware's memcached read is real (a memcached it starts, or MEMCACHED_SERVERS).
 *
 * Prints one line per round and the medians. Variants: express, apicache, sg, sg+memory; PROTOCOL=meta
 * for the meta transport.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { Duplex } from 'node:stream';
import express, { type Express } from 'express';
import { startMemcached } from '../test/support/memcached.js';
import { library } from './lib/library.js';
import { median } from './lib/stats.js';
import { renderPage } from './workers/page.js';

const VARIANTS = ['express', 'apicache', 'sg', 'sg+memory'] as const;
type Variant = (typeof VARIANTS)[number];
const PAGES = 16;
const CONCURRENCY = 16;
const ROUNDS = 7;

const variant = process.argv[2] as Variant;
if (!VARIANTS.includes(variant)) {
  console.error(`usage: npm run bench:http-cpu -- <${VARIANTS.join('|')}> [requests per round]`);
  process.exit(2);
}
const perRound = Number(process.argv[3] ?? 30_000);

/** A socket that takes every write and sends nothing back: Node's HTTP code runs in full, the kernel not at all. */
class NullSocket extends Duplex {
  readonly remoteAddress = '127.0.0.1';
  override _read(): void {}
  override _write(_chunk: unknown, _encoding: unknown, done: () => void): void {
    done();
  }
  override _writev(_chunks: unknown, done: () => void): void {
    done();
  }
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}

/** One GET through `app`, settled when the response finished; rejects on anything but a 200 of 8 KB. */
function inject(app: Express, path: string): Promise<void> {
  const socket = new NullSocket() as unknown as Socket;
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  req.url = path;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.headers = { host: 'localhost:3000', 'user-agent': 'http-cpu', accept: '*/*' };
  req.rawHeaders = ['Host', 'localhost:3000', 'User-Agent', 'http-cpu', 'Accept', '*/*'];
  req.complete = true;
  req.push(null);
  const res = new ServerResponse(req);
  res.assignSocket(socket);
  return new Promise((resolve, reject) => {
    res.on('finish', () => {
      res.detachSocket(socket);
      if (res.statusCode === 200 && res.getHeader('content-length') === '8192') resolve();
      else reject(new Error(`http-cpu: ${path} answered ${res.statusCode}`));
    });
    app(req as express.Request, res as express.Response);
  });
}

async function serve(app: Express, requests: number): Promise<void> {
  let next = 0;
  const loop = async () => {
    for (let i = next++; i < requests; i = next++) await inject(app, `/page/${i % PAGES}`);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
}

const own = process.env.MEMCACHED_SERVERS ? undefined : await startMemcached();
const servers = own ? [own.address] : (process.env.MEMCACHED_SERVERS ?? '').split(',');
const app = express();
let close = async () => {};
if (variant === 'apicache') {
  const { default: apicache } = await import('apicache');
  app.use(apicache.middleware('5 minutes'));
} else if (variant !== 'express') {
  const { cacheMiddleware } = await import(new URL('../dist/express/index.js', import.meta.url).href);
  const cache = library.createCache({
    servers,
    protocol: process.env.PROTOCOL === 'meta' ? 'meta' : 'binary',
    namespace: `http-cpu-${process.pid}`,
    ttl: 300,
    opTimeoutMs: 2000,
    ...(variant === 'sg+memory' ? { memory: { maxEntries: 1000 } } : {}),
  });
  app.use(cacheMiddleware(cache));
  close = () => cache.close();
}
app.get('/page/:id', (req, res) => {
  res.send(renderPage(req.params.id));
});

let gcMs = 0;
const gc = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
});
gc.observe({ entryTypes: ['gc'] });
try {
  await serve(app, 20_000); // warm-up: every page cached, JIT warm
  const cpu: number[] = [];
  const gcs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const gcBefore = gcMs;
    const before = process.cpuUsage();
    await serve(app, perRound);
    const used = process.cpuUsage(before);
    await new Promise((resolve) => setTimeout(resolve, 20)); // gc entries arrive asynchronously
    cpu.push((used.user + used.system) / perRound);
    gcs.push(((gcMs - gcBefore) * 1000) / perRound);
    console.log(
      `round ${round + 1}/${ROUNDS}: ${cpu.at(-1)?.toFixed(1)} us CPU, ${gcs.at(-1)?.toFixed(1)} us GC per request`,
    );
  }
  console.log(
    `${variant}: ${median(cpu).toFixed(1)} us CPU per request (median of ${ROUNDS}), GC ${median(gcs).toFixed(1)} us`,
  );
} finally {
  gc.disconnect();
  await close();
  await own?.close();
}
// apicache keeps a timer per page it holds (its 5 minutes): without this, its run would not end for that long.
process.exit(process.exitCode ?? 0);
