/**
 * An Express app on a `node:cluster` of 4 worker processes sharing one port, with stampede-guard's
 * middleware in front of a slow report page (200 ms per render), behind memcached.
 *
 *   MEMCACHED_SERVERS=127.0.0.1:11211 npx tsx examples/express/cluster.ts         serve on :3000
 *   npx tsx examples/express/cluster.ts --stampede                                 see a stampede absorbed
 *
 * With `--stampede` it starts its own memcached (unless MEMCACHED_SERVERS is set), sends 100 concurrent
 * requests for a cold page, prints what `X-Cache` said and how often the page was rendered, and exits.
 */
import cluster from 'node:cluster';
import { setTimeout as sleep } from 'node:timers/promises';
import compression from 'compression';
import express from 'express';
import { createCache } from '../../src/index.js';

const WORKERS = 4;
const PORT = Number(process.env.PORT ?? 3000);

if (cluster.isPrimary) await primary();
else await worker();

async function primary(): Promise<void> {
  const stampede = process.argv.includes('--stampede');
  let servers = process.env.MEMCACHED_SERVERS;
  let stopMemcached = async () => {};
  if (!servers && stampede) {
    const { startMemcached, stopAllMemcached } = await import('../../test/support/memcached.js');
    servers = (await startMemcached()).address;
    stopMemcached = stopAllMemcached;
  }
  const port = stampede ? 0 : PORT; // 0: the cluster picks one free port that every worker shares
  const env = { MEMCACHED_SERVERS: servers ?? '127.0.0.1:11211', PORT: String(port) };
  const workers = Array.from({ length: WORKERS }, () => cluster.fork(env));
  const listening = await Promise.all(
    workers.map((w) => new Promise<number>((resolve) => w.once('listening', (a) => resolve(a.port)))),
  );
  console.log(`${WORKERS} workers listening on port ${listening[0]}`);
  if (!stampede) return;

  const answers = await Promise.all(
    Array.from({ length: 100 }, () => fetch(`http://127.0.0.1:${listening[0]}/report/42`)),
  );
  const statuses: Record<string, number> = {};
  for (const a of answers)
    statuses[a.headers.get('x-cache') ?? '-'] = (statuses[a.headers.get('x-cache') ?? '-'] ?? 0) + 1;
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
  for (const w of workers) w.kill();
  await stopMemcached();
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
  app.use(cache.middleware({ ttl: 30, grace: 300, lock: true }));
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
