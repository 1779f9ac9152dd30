/**
 * Node return: what a node that comes back costs, and what replication costs. 4 worker processes serve
 * steady traffic over 300 keys on 3 memcached nodes; one node is SIGKILLed once the keys are warm and
 * restarted empty 3 s later (its keys were served by the failover node meanwhile). Counted over the 10 s
 * after the restart: loads of the restarted node's keys, requests, errors, p99, with warm returns (the
 * default) and without (`warmReturnMs: 0`). Then the write cost of replication: `cache.set` throughput in
 * one process, `replicas: 1` against `2`, on each protocol.
 */
import { startCluster } from '../../test/support/memcached.js';
import { library } from '../lib/library.js';
import { keysOwnedBy } from '../lib/owners.js';
import { count, int, ms, ratio } from '../lib/report.js';
import { median, summarize } from '../lib/stats.js';
import { STEADY, steadyLoad } from '../lib/steady-load.js';
import { measureThroughput } from '../lib/throughput.js';
import type { Scenario, ScenarioContext, ScenarioResult } from './scenario.js';

const { workers: WORKERS, keys: KEYS, loaderMs: LOADER_MS } = STEADY;
const OUTAGE_MS = 3000;
const NAMESPACE = 'nr';

type Warmth = 'warm returns' | 'no warm returns';
const WARMTH: Record<Warmth, object> = {
  'warm returns': { safeMode: 'auto', probeIntervalMs: 1000 },
  'no warm returns': { safeMode: 'auto', probeIntervalMs: 1000, warmReturnMs: 0 },
};

interface WorkerReport {
  loads: Record<string, number[]>;
  errors: number;
  requests: number;
  latencies: number[];
}

async function restartEmpty(warmth: Warmth, watchMs: number, ctx: ScenarioContext) {
  let backAt = 0;
  const { reports, servers, keys } = await steadyLoad<WorkerReport>(
    { namespace: NAMESPACE, ...WARMTH[warmth] },
    async (nodes, servers) => {
      await nodes[1]?.kill();
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      await nodes[1]?.restart();
      backAt = Date.now();
      ctx.log(`  ${warmth}: node ${servers[1]} restarted empty, watching ${watchMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, watchMs));
    },
  );
  const returned = await keysOwnedBy(servers, NAMESPACE, keys, 1);
  const inWindow = (t: number) => t >= backAt && t < backAt + watchMs;
  let returnedLoads = 0;
  let lastLoadMs = 0;
  for (const r of reports) {
    for (const [key, times] of Object.entries(r.loads)) {
      if (!returned.has(key)) continue;
      for (const t of times.filter(inWindow)) {
        returnedLoads++;
        lastLoadMs = Math.max(lastLoadMs, t - backAt);
      }
    }
  }
  return {
    warmth,
    returnedKeys: returned.size,
    returnedLoads,
    lastLoadMs,
    errors: reports.reduce((n, r) => n + r.errors, 0),
    requests: reports.reduce((n, r) => n + r.requests, 0),
    latency: summarize(reports.flatMap((r) => r.latencies)),
  };
}

const SET_ROUNDS = 5;

/**
 * `cache.set` throughput in this process over 3 nodes, `replicas: 1` against `2` on the same nodes, in
 * alternating rounds (a busy machine drifts; alternation spreads the drift over both): medians in sets/s.
 */
async function setThroughput(protocol: 'binary' | 'meta', ops: number) {
  const nodes = await startCluster(3);
  const caches = ([1, 2] as const).map((replicas) =>
    library.createCache({ servers: nodes.map((n) => n.address), protocol, replicas, namespace: NAMESPACE }),
  );
  try {
    const value = { id: 1, name: 'product', price: 9.99, tags: ['a', 'b', 'c'] };
    let failed = 0; // a timeout on a busy machine rejects set(): counted, not fatal
    const run = (cache: (typeof caches)[number], n: number) =>
      measureThroughput(n, 32, 1000, (i) =>
        cache.set(`set:${i}`, value).catch(() => {
          failed++;
        }),
      );
    for (const cache of caches) await run(cache, Math.min(ops, 2000)); // warm up: connections, JIT
    const rounds: Array<[number, number]> = [];
    for (let r = 0; r < SET_ROUNDS; r++) {
      const one = await run(caches[0] as (typeof caches)[number], ops);
      const two = await run(caches[1] as (typeof caches)[number], ops);
      rounds.push([one, two]);
    }
    return { one: median(rounds.map((r) => r[0])), two: median(rounds.map((r) => r[1])), failed };
  } finally {
    await Promise.all(caches.map((cache) => cache.close()));
    await Promise.all(nodes.map((n) => n.close()));
  }
}

export const nodeReturn: Scenario = {
  name: 'node-return',
  description: `${WORKERS} processes, 3 nodes, ${KEYS} keys; a node restarted empty after ${OUTAGE_MS / 1000} s: warm returns on/off; set cost of replicas 2`,
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const watchMs = ctx.quick ? 4000 : 10_000;
    const setOps = ctx.quick ? 2000 : 20_000;
    const rows = [];
    for (const warmth of ['no warm returns', 'warm returns'] as const) {
      rows.push(await restartEmpty(warmth, watchMs, ctx));
    }
    const [cold, warm] = rows as [
      Awaited<ReturnType<typeof restartEmpty>>,
      Awaited<ReturnType<typeof restartEmpty>>,
    ];
    const sets = [];
    for (const protocol of ['binary', 'meta'] as const) {
      const { one, two, failed } = await setThroughput(protocol, setOps);
      ctx.log(`  set throughput ${protocol}: replicas 1 ${int(one)}/s, replicas 2 ${int(two)}/s`);
      sets.push({ protocol, one, two, failed });
    }
    return {
      name: 'node-return',
      title: `node-return: ${WORKERS} processes x 4 loops, 3 nodes, ${KEYS} keys, ${LOADER_MS} ms loader; loads in the ${watchMs / 1000} s after one node, SIGKILLed ${OUTAGE_MS / 1000} s earlier, is back empty`,
      config: {
        workers: WORKERS,
        keys: KEYS,
        loaderMs: LOADER_MS,
        outageMs: OUTAGE_MS,
        watchMs,
        setOps,
        modes: WARMTH,
      },
      tables: [
        {
          headers: [
            'mode',
            'returned keys',
            'their loads',
            'last load ms',
            'requests',
            'errors',
            'p50 ms',
            'p99 ms',
          ],
          rows: rows.map((r) => [
            r.warmth,
            String(r.returnedKeys),
            count(r.returnedLoads),
            r.returnedLoads ? String(r.lastLoadMs) : '-',
            count(r.requests),
            String(r.errors),
            ms(r.latency.p50),
            ms(r.latency.p99),
          ]),
        },
        {
          headers: ['protocol', 'set/s replicas 1', 'set/s replicas 2', 'replicas 2 / 1', 'failed sets'],
          rows: sets.map((s) => [s.protocol, int(s.one), int(s.two), ratio(s.two / s.one), String(s.failed)]),
        },
      ],
      targets: [
        {
          description: 'warm returns: at most 10% of the loads without them',
          pass: warm.returnedLoads * 10 <= cold.returnedLoads,
          actual: `${warm.returnedLoads} vs ${cold.returnedLoads}`,
        },
        {
          description: 'no errors with or without warm returns',
          pass: warm.errors + cold.errors === 0,
          actual: `warm ${warm.errors}, without ${cold.errors}`,
        },
      ],
      notes: [
        'Without warm returns every key of the restarted node misses at home once and loads (under safe- locks).',
        'With them, a miss there reads the node that served the key during the outage (failoverTtl copies)',
        'and copies it home with add: the share of those loads it spares is 1 - (warm loads / loads without).',
        `set/s: 32 concurrent cache.set() in one process over 1,000 keys, medians of ${SET_ROUNDS} alternating rounds; replicas 2 writes both copies together.`,
      ],
      data: { restarts: rows, sets },
    };
  },
};
