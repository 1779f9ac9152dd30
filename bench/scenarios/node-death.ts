/**
 * Node death: 4 worker processes serve steady traffic over 300 keys on 3 memcached nodes; one node is
 * SIGKILLed once the keys are warm. Counted over the 10 s after the kill: database loads (all of them,
 * and those of the dead node's keys), errors and request latency, for `safeMode: 'auto'` (monitor,
 * failover) against `'off'` (no monitor, no failover: the stampede the operators saw), in the same run.
 */
import { keysOwnedBy } from '../lib/owners.js';
import { count, ms, ratio } from '../lib/report.js';
import { summarize } from '../lib/stats.js';
import { STEADY, steadyLoad } from '../lib/steady-load.js';
import type { Scenario, ScenarioContext, ScenarioResult } from './scenario.js';

const { workers: WORKERS, keys: KEYS, loaderMs: LOADER_MS } = STEADY;
const NAMESPACE = 'nd';

type Mode = 'auto' | 'off' | 'replicas 2';
const MODES: Record<Mode, object> = {
  auto: { safeMode: 'auto', probeIntervalMs: 1000 },
  off: { safeMode: 'off', failover: 'none' },
  'replicas 2': { safeMode: 'auto', probeIntervalMs: 1000, replicas: 2 },
};

interface WorkerReport {
  loads: Record<string, number[]>;
  errors: number;
  /** memcached calls that failed (timeouts on a starved machine show here, and load directly). */
  storeErrors: number;
  requests: number;
  latencies: number[];
}

/** One run in `mode`; `cacheOptions` add to the workers' cache options (e.g. `protocol`). */
export async function runMode(mode: Mode, watchMs: number, ctx: ScenarioContext, cacheOptions: object = {}) {
  let killedAt = 0;
  const { reports, servers, keys } = await steadyLoad<WorkerReport>(
    { namespace: NAMESPACE, ...MODES[mode], ...cacheOptions },
    async (nodes, servers) => {
      killedAt = Date.now();
      await nodes[1]?.kill();
      ctx.log(`  ${mode}: node ${servers[1]} killed, watching ${watchMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, watchMs));
    },
  );
  const lost = await keysOwnedBy(servers, NAMESPACE, keys, 1);
  const inWindow = (t: number) => t >= killedAt && t < killedAt + watchMs;
  let loads = 0;
  let lostLoads = 0;
  let worstKey = 0;
  const perKey = new Map<string, number>();
  for (const r of reports) {
    for (const [key, times] of Object.entries(r.loads)) {
      const n = times.filter(inWindow).length;
      loads += n;
      if (lost.has(key)) lostLoads += n;
      perKey.set(key, (perKey.get(key) ?? 0) + n);
    }
  }
  for (const n of perKey.values()) worstKey = Math.max(worstKey, n);
  const latency = summarize(reports.flatMap((r) => r.latencies));
  return {
    mode,
    lostKeys: lost.size,
    loads,
    lostLoads,
    worstKey,
    errors: reports.reduce((n, r) => n + r.errors, 0),
    storeErrors: reports.reduce((n, r) => n + r.storeErrors, 0),
    requests: reports.reduce((n, r) => n + r.requests, 0),
    latency,
  };
}

export const nodeDeath: Scenario = {
  name: 'node-death',
  description: `${WORKERS} processes, 3 nodes, ${KEYS} keys under steady load; one node SIGKILLed: off, auto, replicas 2`,
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const watchMs = ctx.quick ? 4000 : 10_000;
    const results = [];
    for (const mode of ['off', 'auto', 'replicas 2'] as const)
      results.push(await runMode(mode, watchMs, ctx));
    type Row = Awaited<ReturnType<typeof runMode>>;
    const [off, auto, replicated] = results as [Row, Row, Row];
    return {
      name: 'node-death',
      title: `node-death: ${WORKERS} processes x 4 loops, 3 nodes, ${KEYS} keys, ${LOADER_MS} ms loader; loads in the ${watchMs / 1000} s after one node is SIGKILLed`,
      config: { workers: WORKERS, keys: KEYS, loaderMs: LOADER_MS, watchMs, modes: MODES },
      tables: [
        {
          headers: [
            'mode',
            'lost keys',
            'loads',
            'lost-key loads',
            'loads / lost key',
            'worst key',
            'requests',
            'errors',
            'store errors',
            'p50 ms',
            'p99 ms',
          ],
          rows: results.map((r) => [
            r.mode,
            String(r.lostKeys),
            count(r.loads),
            count(r.lostLoads),
            (r.lostLoads / r.lostKeys).toFixed(2),
            String(r.worstKey),
            count(r.requests),
            String(r.errors),
            String(r.storeErrors),
            ms(r.latency.p50),
            ms(r.latency.p99),
          ]),
        },
      ],
      targets: [
        {
          description: 'auto: each lost key loaded at most twice',
          pass: auto.worstKey <= 2,
          actual: `worst key ${auto.worstKey}`,
        },
        {
          description: 'no errors in any mode',
          pass: auto.errors + off.errors + replicated.errors === 0,
          actual: `auto ${auto.errors}, off ${off.errors}, replicas 2 ${replicated.errors}`,
        },
        {
          description: 'replicas 2: no load of a lost key',
          pass: replicated.lostLoads === 0,
          actual: `${replicated.lostLoads} loads of ${replicated.lostKeys} lost keys`,
        },
        {
          description: 'auto loads far fewer than off',
          pass: auto.loads * 5 < off.loads,
          actual: `${ratio(off.loads / Math.max(1, auto.loads), 1)} fewer (${auto.loads} vs ${off.loads})`,
        },
      ],
      notes: [
        "off: every request for a dead node's key fails over to the database (coalesced in-process only).",
        'auto: the first refused call marks the node down; its keys rehash to the next node (failoverTtl)',
        'under safe- locks, so each lost key is loaded about once cluster-wide.',
        'replicas 2: every entry is also on the next node of its order, so the lost keys are read there.',
        'Latency includes the 20 ms loader on misses; the run uses dist/ (the tsc build).',
      ],
      data: results,
    };
  },
};
