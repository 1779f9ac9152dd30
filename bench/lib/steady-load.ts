/**
 * A steady-load run shared by the node-fault scenarios: 3 memcached nodes, STEADY.workers worker processes
 * (test/fixtures/steady-worker.ts, running the library from dist/) reading STEADY.keys keys in 4 loops each
 * with a STEADY.loaderMs loader; once every key is cached, `fault` breaks a node and watches; then the
 * workers stop and report.
 */
import { fileURLToPath } from 'node:url';
import { type MemcachedProcess, startCluster } from '../../test/support/memcached.js';
import { spawnWorkers } from '../../test/support/workers.js';

const WORKER = fileURLToPath(new URL('../../test/fixtures/steady-worker.ts', import.meta.url));
const DIST = new URL('../../dist/index.js', import.meta.url).href;
const WARM_MS = 2500;

export const STEADY = { workers: 4, keys: 300, loaderMs: 20 } as const;

export interface SteadyRun<Report> {
  reports: Report[];
  servers: string[];
  keys: string[];
}

/** Runs the load with `cacheOptions` (the namespace included), `fault` once warm; resolves the workers' reports. */
export async function steadyLoad<Report>(
  cacheOptions: object,
  fault: (nodes: MemcachedProcess[], servers: string[]) => Promise<void>,
): Promise<SteadyRun<Report>> {
  const nodes = await startCluster(3);
  try {
    const servers = nodes.map((n) => n.address);
    const keys = Array.from({ length: STEADY.keys }, (_, i) => `product:${i}`);
    const group = await spawnWorkers(WORKER, {
      count: STEADY.workers,
      env: {
        SERVERS: servers.join(','),
        STAMPEDE_GUARD_MODULE: DIST,
        REPORT_LATENCIES: '1',
        CACHE_OPTIONS: JSON.stringify(cacheOptions),
      },
    });
    try {
      group.go({ keys, concurrency: 4, loaderMs: STEADY.loaderMs });
      await new Promise((resolve) => setTimeout(resolve, WARM_MS)); // warm: every key cached
      await fault(nodes, servers);
      for (let i = 0; i < STEADY.workers; i++) group.send(i, { type: 'stop' });
      const reports = (await group.done(30_000)).map((r) => r.messages.at(-1) as unknown as Report);
      return { reports, servers, keys };
    } finally {
      await group.close();
    }
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
  }
}
