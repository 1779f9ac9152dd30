/**
 * An Express app on a `node:cluster` of 4 worker processes sharing one port, with stampede-guard's
 * middleware in front of a slow report page (200 ms per render), behind memcached.
 *
 *   npx tsx examples/express/cluster.ts                        serve on :3000 (PORT to change)
 *   npx tsx examples/express/cluster.ts --stampede             see a stampede absorbed, then exit
 *   npx tsx examples/express/cluster.ts --stampede --serve     ... and keep serving (on a free port)
 *
 * It starts its own memcached unless MEMCACHED_SERVERS is set. Stopped by Ctrl+C or SIGTERM, it stops
 * its workers and its memcached.
 */
import cluster, { type Worker } from 'node:cluster';
import { setTimeout as sleep } from 'node:timers/promises';
import compression from 'compression';
import express from 'express';
import { createCache } from 'stampede-guard';
import { cacheMiddleware } from 'stampede-guard/express';
import { withMemcached } from '../lib/memcached.js';

const WORKERS = 4;
const PORT = Number(process.env.PORT ?? 3000);

if (cluster.isPrimary) await primary();
else await worker();

async function primary(): Promise<void> {
  const stampede = process.argv.includes('--stampede');
  const serve = !stampede || process.argv.includes('--serve');
  await withMemcached(1, async (servers) => {
    const port = stampede ? 0 : PORT; // 0: the cluster picks one free port that every worker shares
    const env = { MEMCACHED_SERVERS: servers.join(','), PORT: String(port) };
    const workers = Array.from({ length: WORKERS }, () => cluster.fork(env));
    // Stopped (Ctrl+C, a supervisor's SIGTERM): the workers go at once, even mid-start; withMemcached
    // stops memcached and exits.
    const stopped = new Promise<void>((resolve) => {
      const stop = () => {
        for (const w of workers) w.process.kill('SIGTERM');
        resolve();
      };
      process.once('SIGINT', stop).once('SIGTERM', stop);
    });
    const listening = await Promise.all(
      workers.map((w) => new Promise<number>((resolve) => w.once('listening', (a) => resolve(a.port)))),
    );
    console.log(`${WORKERS} workers listening on port ${listening[0]}`);
    if (stampede) await absorbStampede(`http://127.0.0.1:${listening[0]}/report/42`, workers);
    if (serve) {
      console.log('serving; Ctrl+C to stop');
      await stopped;
    }
    for (const w of workers) w.kill();
  });
}

async function absorbStampede(url: string, workers: Worker[]): Promise<void> {
  const answers = await Promise.all(Array.from({ length: 100 }, () => fetch(url)));
  const statuses: Record<string, number> = {};
  for (const a of answers) {
    const status = a.headers.get('x-cache') ?? '-';
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  const renders = await Promise.all(
    workers.map((w) => {
      w.send('renders');
      return new Promise<number>((resolve) => w.once('message', resolve));
    }),
  );
  console.log('100 concurrent requests for a cold page:', statuses);
  console.log(
    'renders per worker:',
    renders,
    '(total',
    renders.reduce((a, b) => a + b),
    ')',
  );
}

async function worker(): Promise<void> {
  const cache = createCache({
    servers: (process.env.MEMCACHED_SERVERS ?? '').split(','),
    namespace: 'example',
  });
  let renders = 0;
  const app = express();
  app.use(compression()); // in front: the identity page is cached, each client gets its encoding
  // lock: one render cluster-wide (not only per process) even when safe mode is off.
  app.use(cacheMiddleware(cache, { ttl: 30, grace: 300, lock: true }));
  app.get('/report/:id', async (req, res) => {
    renders++;
    await sleep(200); // the expensive query
    res.json({ report: req.params.id, renderedBy: process.pid, at: new Date().toISOString() });
  });
  process.on('message', (msg) => {
    if (msg === 'renders') process.send?.(renders);
  });
  app.listen(Number(process.env.PORT));
}
