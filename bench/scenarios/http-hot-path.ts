/**
 * HTTP hot path: a real load generator (autocannon, in this process) against a `node:cluster` of Express
 * workers serving cached 8 KB pages, one cluster per variant, all started in the same run: the bare
 * route (0 ms), apicache (the common in-process middleware), and stampede-guard's middleware without and
 * with the memory tier. Measurements alternate between the variants, order rotated each round; ratios
 * are paired (each round's variant over the baseline measured in the same round), then the median.
 * Targets: with the memory tier, at least apicache's req/s; without it, at least bare Express's.
 */

import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { spawnWorkers, type WorkerGroup } from '../../test/support/workers.js';
import { int, ratio } from '../lib/report.js';
import { median, round } from '../lib/stats.js';
import type { Scenario, ScenarioContext, ScenarioResult } from './scenario.js';

const WORKER_SCRIPT = fileURLToPath(new URL('../workers/http-worker.ts', import.meta.url));
const VARIANTS = ['express', 'apicache', 'sg', 'sg+memory'] as const;
type Variant = (typeof VARIANTS)[number];
const LABEL: Record<Variant, string> = {
  express: 'bare Express, 0 ms route',
  apicache: 'apicache',
  sg: 'stampede-guard middleware',
  'sg+memory': 'stampede-guard middleware, memory tier',
};
const HTTP_WORKERS = 4;
const PAGES = 16;
const CONNECTIONS = 64;

interface Server {
  group: WorkerGroup;
  url: string;
}

async function startServer(variant: Variant, servers: readonly string[]): Promise<Server> {
  const group = await spawnWorkers(WORKER_SCRIPT, {
    count: 1,
    env: {
      BENCH_VARIANT: variant,
      BENCH_SERVERS: servers.join(','),
      BENCH_HTTP_WORKERS: String(HTTP_WORKERS),
    },
    readyTimeoutMs: 60_000,
  });
  const { msg } = await group.waitFor((m) => m.type === 'listening');
  return { group, url: `http://127.0.0.1:${msg.port as number}` };
}

let statsRequests = 0;

/** Renders by the route (what no cache answered) and CPU time, summed over the cluster's workers so far. */
async function counts(server: Server): Promise<{ renders: number; cpuUs: number }> {
  const id = ++statsRequests;
  server.group.send(0, { type: 'stats', id });
  const { msg } = await server.group.waitFor((m) => m.type === 'stats' && m.id === id);
  return { renders: msg.renders as number, cpuUs: msg.cpuUs as number };
}

const requests = Array.from({ length: PAGES }, (_, i) => ({ method: 'GET', path: `/page/${i}` }));

interface Measurement {
  rps: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  bytesPerRequest: number;
  /** CPU time of the server's workers per request served, in microseconds. */
  cpuUsPerRequest: number;
  renders: number;
}

async function measure(server: Server, seconds: number): Promise<Measurement> {
  const before = await counts(server);
  const r = await autocannon({ url: server.url, connections: CONNECTIONS, duration: seconds, requests });
  const after = await counts(server);
  return {
    cpuUsPerRequest: (after.cpuUs - before.cpuUs) / Math.max(1, r.requests.total),
    renders: after.renders - before.renders,
    rps: r.requests.total / r.duration,
    p99Ms: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    bytesPerRequest: r.throughput.total / Math.max(1, r.requests.total),
  };
}

/** What one page answers with: its status, X-Cache and body size (the bench checks every variant serves it). */
async function probe(server: Server): Promise<{ status: number; xCache: string; bytes: number }> {
  const res = await fetch(`${server.url}/page/0`);
  const body = await res.arrayBuffer();
  return { status: res.status, xCache: res.headers.get('x-cache') ?? '-', bytes: body.byteLength };
}

export const httpHotPath: Scenario = {
  name: 'http-hot-path',
  description: `autocannon vs ${HTTP_WORKERS} Express workers serving cached 8 KB pages: bare, apicache, stampede-guard (tier off/on)`,
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const seconds = ctx.quick ? 2 : 3;
    const rounds = ctx.quick ? 2 : 5;
    const config = {
      httpWorkers: HTTP_WORKERS,
      pages: PAGES,
      pageBytes: 8192,
      connections: CONNECTIONS,
      secondsPerMeasurement: seconds,
      rounds,
    };
    const started: Partial<Record<Variant, Server>> = {};
    try {
      for (const v of VARIANTS) started[v] = await startServer(v, ctx.servers);
      const server = (v: Variant) => started[v] as Server;
      // Warm-up: every page into every cache, connections and JIT warm; discarded.
      for (const v of VARIANTS) await measure(server(v), 2);
      const probes = Object.fromEntries(
        await Promise.all(VARIANTS.map(async (v) => [v, await probe(server(v))])),
      );
      const samples: Record<Variant, Measurement[]> = { express: [], apicache: [], sg: [], 'sg+memory': [] };
      for (let r = 0; r < rounds; r++) {
        const order = VARIANTS.map((_, j) => VARIANTS[(j + r) % VARIANTS.length] as Variant);
        for (const v of order) samples[v].push(await measure(server(v), seconds));
        ctx.log(
          `  round ${r + 1}/${rounds}: ${VARIANTS.map((v) => `${v} ${int(samples[v].at(-1)?.rps ?? 0)}/s`).join('  ')}`,
        );
      }

      const rps = (v: Variant) => median(samples[v].map((m) => m.rps));
      const paired = (v: Variant, base: Variant) =>
        median(samples[v].map((m, i) => m.rps / (samples[base][i] as Measurement).rps));
      const total = (v: Variant, f: (m: Measurement) => number) => samples[v].reduce((a, m) => a + f(m), 0);
      const cpu = (v: Variant) => median(samples[v].map((m) => m.cpuUsPerRequest));
      const memoryVsApicache = paired('sg+memory', 'apicache');
      const plainVsExpress = paired('sg', 'express');
      const failures = VARIANTS.map((v) => `${v} ${total(v, (m) => m.errors + m.non2xx)}`);
      const ours: Variant[] = ['sg', 'sg+memory'];
      return {
        name: 'http-hot-path',
        title: `http-hot-path: autocannon, ${CONNECTIONS} connections, ${PAGES} pages of 8 KB, ${HTTP_WORKERS} Express workers per variant, ${seconds} s per measurement (median of ${rounds} rounds)`,
        config,
        tables: [
          {
            headers: [
              'variant',
              'req/s',
              'min req/s',
              'max req/s',
              'p99 ms',
              'vs Express',
              'vs apicache',
              'server CPU us/req',
            ],
            rows: VARIANTS.map((v) => [
              LABEL[v],
              int(rps(v)),
              int(Math.min(...samples[v].map((m) => m.rps))),
              int(Math.max(...samples[v].map((m) => m.rps))),
              median(samples[v].map((m) => m.p99Ms)).toFixed(1),
              ratio(paired(v, 'express')),
              ratio(paired(v, 'apicache')),
              cpu(v).toFixed(1),
            ]),
          },
        ],
        targets: [
          {
            description: 'stampede-guard with the memory tier >= apicache (req/s, paired)',
            pass: memoryVsApicache >= 1,
            actual: ratio(memoryVsApicache),
          },
          {
            description: 'stampede-guard without the memory tier >= bare Express (req/s, paired)',
            pass: plainVsExpress >= 1,
            actual: ratio(plainVsExpress),
          },
          {
            description: 'no errors, every response 2xx, 8 KB pages',
            pass:
              VARIANTS.every((v) => total(v, (m) => m.errors + m.non2xx) === 0) &&
              VARIANTS.every((v) => probes[v].status === 200 && probes[v].bytes === 8192),
            actual: `${failures.join(', ')}; page bytes ${VARIANTS.map((v) => probes[v].bytes).join('/')}`,
          },
          {
            description: 'stampede-guard answers from its cache (no render while measured)',
            pass: ours.every((v) => total(v, (m) => m.renders) === 0) && probes.sg.xCache === 'HIT',
            actual: `renders ${VARIANTS.map((v) => `${v} ${int(total(v, (m) => m.renders))}`).join(', ')}; X-Cache ${probes.sg.xCache}/${probes['sg+memory'].xCache}`,
          },
        ],
        notes: [
          'Each variant is a node:cluster of 4 Express 5 workers on one port; the route renders an 8 KB HTML',
          'page from a template (res.send: ETag, Content-Type). Cached variants: apicache.middleware("5 minutes");',
          'cacheMiddleware(cache) over memcached (ttl 300 s), and the same with memory: { maxEntries: 1000 }',
          '(tier ttl 1 s: each page re-read from memcached once a second per worker).',
          'autocannon runs in the bench process: load generator, 16 workers and memcached share the machine,',
          "so absolute req/s are the machine's; read the ratios (paired: same round, alternating, rotated order).",
          'server CPU us/req: user + system CPU time of the 4 workers over the measurement / requests served',
          '(process.cpuUsage()): what one request costs the server, less sensitive to a busy machine than req/s.',
        ],
        data: {
          requestsPerSecond: Object.fromEntries(
            VARIANTS.map((v) => [v, samples[v].map((m) => round(m.rps, 0))]),
          ),
          medians: Object.fromEntries(VARIANTS.map((v) => [v, round(rps(v), 0)])),
          ratioMemoryToApicache: round(memoryVsApicache, 3),
          ratioNoTierToExpress: round(plainVsExpress, 3),
          cpuUsPerRequest: Object.fromEntries(
            VARIANTS.map((v) => [v, samples[v].map((m) => round(m.cpuUsPerRequest, 1))]),
          ),
          rendersWhileMeasured: Object.fromEntries(VARIANTS.map((v) => [v, total(v, (m) => m.renders)])),
          probes,
        },
      };
    } finally {
      await Promise.all(Object.values(started).map((s) => s.group.close()));
    }
  },
};
