/**
 * One web worker of the demo: an Express app serving product pages rendered from the shared database.
 *
 * - MODE=unprotected: what many apps do by hand: memjs get, on a miss query and set (cache errors
 *   count as misses, with a timeout so a hung node cannot hang the request).
 * - MODE=stampede-guard: `cacheMiddleware(cache)` in front, with a hotlist recorder for the warmup scenario.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import memjs from 'memjs';
import { cacheMiddleware } from '../../src/express/index.js';
import { createCache, HotKeyRecorder } from '../../src/index.js';
import { onMessage, ready, report } from '../../test/support/worker-runtime.js';

const servers = (process.env.SERVERS ?? '').split(',');
const database = process.env.DATABASE_URL as string;
const mode = process.env.MODE as 'unprotected' | 'stampede-guard';
const TTL = 600;

async function renderProduct(id: string): Promise<string> {
  const row = (await (await fetch(`${database}/query?product=${id}`)).json()) as {
    name: string;
    price: number;
  };
  return `<html><h1>${row.name}</h1><p>${row.price} EUR</p></html>`;
}

const app = express();
let close: () => Promise<void>;
let flushHotlist: () => Promise<void> = async () => {};

if (mode === 'unprotected') {
  const client = memjs.Client.create(servers.join(','), { logger: { log: () => {} } });
  const withTimeout = <T>(p: Promise<T>) =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 500))]);
  app.get('/products/:id', async (req, res) => {
    const key = `demo:page:${req.params.id}`;
    const hit = await withTimeout(client.get(key)).catch(() => null);
    if (hit?.value) return void res.type('html').send(hit.value.toString());
    const html = await renderProduct(req.params.id);
    withTimeout(client.set(key, html, { expires: TTL })).catch(() => {});
    res.type('html').send(html);
  });
  close = async () => client.close();
} else {
  const recorder = new HotKeyRecorder({
    hotlistFile: `${process.env.HOTLIST_DIR}/{pid}.json`,
    writeIntervalMs: 0,
  });
  const cache = createCache({ servers, namespace: 'demo', ttl: TTL, recorder });
  app.use(cacheMiddleware(cache));
  app.get('/products/:id', async (req, res) => {
    res.type('html').send(await renderProduct(req.params.id));
  });
  flushHotlist = () => recorder.flush();
  close = async () => {
    await cache.close();
    await recorder.close();
  };
}

onMessage(async (msg) => {
  if (msg.type === 'flush') {
    await flushHotlist();
    await report({ type: 'flushed' });
  }
  if (msg.type === 'close') {
    await close();
    process.exit(0);
  }
});

const server = app.listen(0, '127.0.0.1', async () => {
  await report({ type: 'listening', port: (server.address() as AddressInfo).port });
  await ready();
});
server.keepAliveTimeout = 60_000;
