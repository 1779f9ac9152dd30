/**
 * The HTTP hot-path bench's server: a `node:cluster` of Express workers sharing one port, each serving
 * 8 KB pages through one variant (BENCH_VARIANT):
 *
 *   express         the bare route (renders the page from a template on every request, 0 ms)
 *   apicache        apicache's in-process middleware in front of it
 *   sg              stampede-guard's middleware (memcached)
 *   sg+memory       the same with the memory tier on
 *
 * The primary is a bench worker (spawnWorkers): it reports `ready` with the port once every cluster
 * worker listens. With BENCH_CPU_PROF_DIR set, cluster worker 0 runs under `--cpu-prof` and writes its
 * profile there when the primary is told to `stop` (the cluster workers exit cleanly then).
 */
import cluster from 'node:cluster';
import { renderPage } from './page.js';

const variant = process.env.BENCH_VARIANT ?? '';
const VARIANTS = ['express', 'apicache', 'sg', 'sg+memory'];
if (!VARIANTS.includes(variant)) throw new Error(`http-worker: unknown BENCH_VARIANT ${variant}`);

/** What a cluster worker reports: route renders (what no cache answered) and its CPU time so far. */
interface WorkerCounts {
  renders: number;
  cpuUs: number;
}

if (cluster.isPrimary) await primary();
else await worker();

async function primary(): Promise<void> {
  const { onMessage, ready, report, workerIndex } = await import('../../test/support/worker-runtime.js');
  const count = Number(process.env.BENCH_HTTP_WORKERS ?? 4);
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  const workers = Array.from({ length: count }, (_, i) => {
    cluster.setupPrimary({
      execArgv:
        i === 0 && profileDir
          ? [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${profileDir}`]
          : process.execArgv,
    });
    return cluster.fork({ BENCH_PORT: '0' });
  });
  const ports = await Promise.all(
    workers.map((w) => new Promise<number>((resolve) => w.once('listening', (a) => resolve(a.port)))),
  );
  onMessage(async (msg) => {
    if (msg.type === 'stats') {
      const counts = await Promise.all(
        workers.map((w) => {
          const answered = new Promise<WorkerCounts>((resolve) => w.once('message', resolve));
          w.send('counts');
          return answered;
        }),
      );
      const sum = (f: (c: WorkerCounts) => number) => counts.reduce((a, c) => a + f(c), 0);
      await report({ type: 'stats', id: msg.id, renders: sum((c) => c.renders), cpuUs: sum((c) => c.cpuUs) });
      return;
    }
    if (msg.type !== 'stop') return;
    await Promise.all(
      workers.map((w) => {
        const exited = new Promise((resolve) => w.once('exit', resolve));
        w.send('stop');
        return exited;
      }),
    );
    await report({ type: 'stopped' });
  });
  await report({ type: 'listening', index: workerIndex, port: ports[0] as number });
  await ready();
}

async function worker(): Promise<void> {
  const { default: express } = await import('express');
  const app = express();
  const servers = (process.env.BENCH_SERVERS ?? '').split(',').filter(Boolean);
  let close = async () => {};
  if (variant === 'apicache') {
    const { default: apicache } = await import('apicache');
    app.use(apicache.middleware('5 minutes'));
  } else if (variant.startsWith('sg')) {
    const { createCache } = await import(new URL('../../dist/index.js', import.meta.url).href);
    const { cacheMiddleware } = await import(new URL('../../dist/express/index.js', import.meta.url).href);
    const cache = createCache({
      servers,
      namespace: 'bench-http',
      ttl: 300,
      opTimeoutMs: 2000,
      // BENCH_MEMORY_TTL: the tier's ttl in seconds (its default, 1, unless set: for profiling runs).
      ...(variant === 'sg+memory'
        ? { memory: { maxEntries: 1000, ttl: Number(process.env.BENCH_MEMORY_TTL ?? 1) } }
        : {}),
    });
    app.use(cacheMiddleware(cache));
    close = () => cache.close();
  }
  let renders = 0;
  app.get('/page/:id', (req, res) => {
    renders++;
    res.send(renderPage(req.params.id));
  });
  const server = app.listen(Number(process.env.BENCH_PORT ?? 0));
  const stop = async () => {
    server.closeAllConnections();
    server.close();
    await close();
    process.exit(0); // writes the --cpu-prof profile
  };
  process.on('message', (msg) => {
    if (msg === 'stop') void stop();
    if (msg === 'counts') {
      const cpu = process.cpuUsage();
      process.send?.({ renders, cpuUs: cpu.user + cpu.system } satisfies WorkerCounts);
    }
  });
  process.once('disconnect', () => process.exit(0));
}
