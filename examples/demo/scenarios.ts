/**
 * The four parts of the operators' story, each played once by a cluster without protection and once
 * with stampede-guard, on fresh memcached nodes and a fresh cluster of Express workers each time.
 */
import { fileURLToPath } from 'node:url';
import { readHotlist, warmup } from '../../src/index.js';
import { type MemcachedProcess, startCluster } from '../../test/support/memcached.js';
import { spawnWorkers, type WorkerGroup } from '../../test/support/workers.js';
import type { Database, DatabaseCounters } from './database.js';
import { burst, type LoadResult, steady, zipfPicker } from './load.js';

export type Mode = 'unprotected' | 'stampede-guard';

export interface Outcome {
  load: LoadResult;
  /** What the database saw in the measured phase. */
  db: DatabaseCounters;
  /** Something worth a line under the table. */
  note?: string;
}

export interface Stage {
  db: Database;
  quick: boolean;
  hotlistDir: string;
}

const APP_WORKER = fileURLToPath(new URL('./app-worker.ts', import.meta.url));
const WORKERS = 4;
const PRODUCTS = 300;
const CLIENTS = 32;

interface Cluster {
  nodes: MemcachedProcess[];
  group: WorkerGroup;
  ports: number[];
}

async function startApp(mode: Mode, stage: Stage): Promise<Cluster> {
  const nodes = await startCluster(3);
  const group = await spawnWorkers(APP_WORKER, {
    count: WORKERS,
    env: {
      MODE: mode,
      SERVERS: nodes.map((n) => n.address).join(','),
      DATABASE_URL: stage.db.url,
      HOTLIST_DIR: stage.hotlistDir,
    },
  });
  const ports = group.messages().flatMap((m) => (m.type === 'listening' ? [m.port as number] : []));
  return { nodes, group, ports };
}

async function stopApp(cluster: Cluster): Promise<void> {
  await cluster.group.close();
  await Promise.all(cluster.nodes.map((n) => n.close()));
}

/** Steady traffic for `ms`, then stopped. */
async function trafficFor(ports: number[], ms: number, pick: () => string): Promise<LoadResult> {
  const stop = new AbortController();
  const running = steady(ports, CLIENTS, pick, stop.signal);
  await new Promise((resolve) => setTimeout(resolve, ms));
  stop.abort();
  return running;
}

/** Runs `play` against a fresh cluster, counting database queries only from `measureFrom()` on. */
async function withApp(mode: Mode, stage: Stage, play: (c: Cluster) => Promise<Outcome>): Promise<Outcome> {
  const cluster = await startApp(mode, stage);
  try {
    return await play(cluster);
  } finally {
    await stopApp(cluster);
  }
}

export interface Scenario {
  name: string;
  play(mode: Mode, stage: Stage): Promise<Outcome>;
}

/** 200 users ask for the same cold page at the same moment. */
const coldKey: Scenario = {
  name: 'cold-key stampede',
  play: (mode, stage) =>
    withApp(mode, stage, async ({ ports }) => {
      stage.db.reset();
      const load = await burst(ports, 200, () => '/products/1');
      return { load, db: stage.db.counters() };
    }),
};

/** Steady traffic over 300 products; one of 3 memcached nodes dies (or restarts empty) under it. */
function nodeFault(name: string, fault: (node: MemcachedProcess) => Promise<void>): Scenario {
  return {
    name,
    play: (mode, stage) =>
      withApp(mode, stage, async ({ ports, nodes }) => {
        const pick = zipfPicker(PRODUCTS);
        await trafficFor(ports, stage.quick ? 1500 : 2500, pick); // every product cached
        stage.db.reset();
        await fault(nodes[1] as MemcachedProcess);
        const load = await trafficFor(ports, stage.quick ? 2500 : 5000, pick);
        return { load, db: stage.db.counters() };
      }),
  };
}

/** Yesterday's traffic is recorded; memcached comes back empty; the site goes live (after a warmup). */
const warmupBeforeGoLive: Scenario = {
  name: 'go-live after memcached restart',
  play: (mode, stage) =>
    withApp(mode, stage, async ({ ports, nodes, group }) => {
      const pick = zipfPicker(PRODUCTS, 11);
      await trafficFor(ports, stage.quick ? 1500 : 2500, pick);
      for (let i = 0; i < group.count; i++) group.send(i, { type: 'flush' });
      await Promise.all(
        Array.from({ length: group.count }, (_, i) =>
          group.waitFor((m, w) => m.type === 'flushed' && w === i),
        ),
      );
      await Promise.all(nodes.map((n) => n.restart()));
      await new Promise((resolve) => setTimeout(resolve, 1500)); // the workers notice the restart
      let note: string | undefined;
      if (mode === 'stampede-guard') {
        stage.db.reset();
        const { entries } = await readHotlist(stage.hotlistDir);
        const summary = await warmup({
          entries,
          top: 100,
          baseUrl: `http://127.0.0.1:${ports[0]}`,
          concurrency: 8,
          rate: 0,
        });
        note = `go-live after memcached restart, stampede-guard: the warmup loaded the top ${summary.warmed} pages from the hotlist in ${(summary.durationMs / 1000).toFixed(1)} s (${stage.db.counters().queries} queries) before traffic came back.`;
      }
      stage.db.reset();
      const load = await burst(ports, 400, () => pick());
      return { load, db: stage.db.counters(), ...(note ? { note } : {}) };
    }),
};

export const SCENARIOS: readonly Scenario[] = [
  coldKey,
  nodeFault('memcached node dies under load', (node) => node.kill()),
  nodeFault('memcached node restarts empty', (node) => node.restart()),
  warmupBeforeGoLive,
];
