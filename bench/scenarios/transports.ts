/**
 * The two transports side by side, in the same run: memjs (`protocol: 'binary'`) and our meta-protocol
 * client (`protocol: 'meta'`). Four rows, each with the figure the default is chosen on (issue 11):
 * - hit path: `cache.wrap` hits/s on each, over raw memjs `get` (paired, alternating, order rotated);
 * - round trips per call, counted by the nodes (bench/lib/round-trips.ts): a protected miss, a plain miss, a hit;
 * - stampede: 4 processes x 50 callers on a key never loaded, 200 ms loader: loads, p99 - loader;
 * - node death: 4 processes, 3 nodes, one SIGKILLed, safeMode 'auto': loads per lost key.
 */
import memjs from 'memjs';
import type { Protocol } from '../../src/options.js';
import { ColdKeyBench, type RoundResult } from '../lib/cold-key.js';
import { library } from '../lib/library.js';
import { count, int, ms, ratio, type Table, type Target } from '../lib/report.js';
import { countRoundTrips, type RoundTrips } from '../lib/round-trips.js';
import { roundForJson, summarizeRounds, summaryForJson } from '../lib/rounds.js';
import { median, round } from '../lib/stats.js';
import { measureThroughput } from '../lib/throughput.js';
import { runMode } from './node-death.js';
import type { Scenario, ScenarioContext, ScenarioResult } from './scenario.js';

const PROTOCOLS: readonly Protocol[] = ['binary', 'meta'];
const HIT_KEYS = 1000;
const HIT_CONCURRENCY = 32;
const HIT_TARGET = 1.0;
const HIT_AIM = 1.3;
const MAX_ROUND_TRIPS = 3;
const PROCESSES = 4;
const CALLERS = 50;
const LOADER_MS = 200;

interface Row {
  table: Table['rows'][number][];
  targets: Target[];
  notes: string[];
  data: unknown;
}

/** Hit path: raw memjs get, and wrap on a cache of each transport, reading the same pre-populated keys. */
async function hitPath(ctx: ScenarioContext): Promise<Row> {
  const ops = ctx.quick ? 20_000 : 50_000;
  const repetitions = ctx.quick ? 5 : 15;
  const prefix = `bench:transports:${process.pid}:${Date.now().toString(36)}`;
  const client = memjs.Client.create(ctx.servers.join(','), { logger: { log() {} }, retries: 1 });
  const caches = Object.fromEntries(
    PROTOCOLS.map((protocol) => [
      protocol,
      library.createCache({ servers: [...ctx.servers], protocol, ttl: 600, opTimeoutMs: 2000 }),
    ]),
  ) as Record<Protocol, ReturnType<typeof library.createCache>>;
  const variants = ['raw', ...PROTOCOLS] as const;
  type Variant = (typeof variants)[number];
  try {
    const row = (i: number) => ({
      id: i,
      name: `item-${i}`,
      price: 12.5 + i,
      tags: ['a', 'b'],
      active: true,
    });
    for (let i = 0; i < HIT_KEYS; i++) {
      await client.set(`${prefix}:raw:${i}`, JSON.stringify(row(i)), { expires: 600 });
      await caches.binary.set(`${prefix}:wrap:${i}`, row(i)); // one entry, read by both transports
    }
    const miss = () => {
      throw new Error('transports: the loader ran, so a pre-populated key missed');
    };
    const op: Record<Variant, (i: number) => Promise<unknown>> = {
      raw: (i) => client.get(`${prefix}:raw:${i}`),
      binary: (i) => caches.binary.wrap(`${prefix}:wrap:${i}`, miss),
      meta: (i) => caches.meta.wrap(`${prefix}:wrap:${i}`, miss),
    };
    for (const v of variants) await measureThroughput(10_000, HIT_CONCURRENCY, HIT_KEYS, op[v]); // warm-up
    const samples: Record<Variant, number[]> = { raw: [], binary: [], meta: [] };
    for (let rep = 0; rep < repetitions; rep++) {
      const order = variants.map((_, j) => variants[(j + rep) % variants.length] as Variant);
      for (const v of order) samples[v].push(await measureThroughput(ops, HIT_CONCURRENCY, HIT_KEYS, op[v]));
      ctx.log(
        `  hit rep ${rep + 1}/${repetitions}: ${variants.map((v) => `${v} ${int(samples[v].at(-1) ?? 0)}/s`).join('  ')}`,
      );
    }
    const paired = (v: Variant, base: Variant) =>
      median(samples[v].map((x, i) => x / (samples[base][i] as number)));
    const metaRatio = paired('meta', 'raw');
    const binaryRatio = paired('binary', 'raw');
    const misses = PROTOCOLS.reduce((n, p) => n + caches[p].stats().loads, 0);
    return {
      table: [
        [
          'hit path: wrap hits/s',
          int(median(samples.binary)),
          int(median(samples.meta)),
          `raw memjs get ${int(median(samples.raw))}/s`,
        ],
        [
          'hit path: wrap / raw memjs get (paired)',
          ratio(binaryRatio),
          ratio(metaRatio),
          `meta / binary ${ratio(paired('meta', 'binary'))}`,
        ],
      ],
      targets: [
        {
          description: `hit path: meta wrap / raw memjs get >= ${HIT_TARGET} (aim ${HIT_AIM})`,
          pass: metaRatio >= HIT_TARGET,
          actual: ratio(metaRatio),
        },
        { description: 'hit path: every wrap call was a hit', pass: misses === 0, actual: `${misses} loads` },
      ],
      notes: [
        `hit path: ${HIT_CONCURRENCY} concurrent loops over ${HIT_KEYS} keys, ${int(ops)} ops per measurement, median of ${repetitions}; both caches read the same entries.`,
      ],
      data: {
        opsPerSecond: Object.fromEntries(variants.map((v) => [v, samples[v].map((x) => round(x, 0))])),
        metaRatio: round(metaRatio, 3),
        binaryRatio: round(binaryRatio, 3),
      },
    };
  } finally {
    client.close();
    await Promise.all(PROTOCOLS.map((p) => caches[p].close()));
  }
}

/** Round trips per call on each transport, counted by the nodes. */
async function roundTrips(ctx: ScenarioContext): Promise<Row> {
  const calls = ctx.quick ? 20 : 100;
  const counted: RoundTrips[] = [];
  for (const protocol of PROTOCOLS) counted.push(await countRoundTrips(protocol, ctx.servers, calls));
  const [binary, meta] = counted as [RoundTrips, RoundTrips];
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const show = (xs: number[]) => `${count(mean(xs))} (max ${Math.max(...xs)})`;
  return {
    table: [
      [
        'round trips: miss taking the lock (get, add + re-read, set + release)',
        show(binary.lockedMiss),
        show(meta.lockedMiss),
        `target <= ${MAX_ROUND_TRIPS}; 0.1: 6`,
      ],
      ['round trips: miss without the lock', show(binary.plainMiss), show(meta.plainMiss), ''],
      ['round trips: hit', show(binary.hit), show(meta.hit), ''],
    ],
    targets: PROTOCOLS.map((protocol, i) => {
      const worst = Math.max(...(counted[i] as RoundTrips).lockedMiss);
      return {
        description: `round trips: a protected miss on ${protocol} <= ${MAX_ROUND_TRIPS}`,
        pass: worst <= MAX_ROUND_TRIPS,
        actual: `max ${worst}`,
      };
    }),
    notes: [
      `round trips: ${calls} calls of each kind, one at a time, safeMode 'off' (no probes) with lock: true; a round trip is one socket write of a node (calls issued in one turn of the event loop share it; memjs's socket is corked until the turn's check phase).`,
    ],
    data: counted,
  };
}

/** The stampede row on each transport: worker groups alternate rounds, so drift hits both alike. */
async function stampede(ctx: ScenarioContext): Promise<Row> {
  const rounds = ctx.quick ? 2 : 40; // p99 - loader is a few ms of jittered backoff: many rounds
  const benches = new Map<Protocol, ColdKeyBench>();
  const results = new Map<Protocol, RoundResult[]>(PROTOCOLS.map((p) => [p, []]));
  try {
    for (const protocol of PROTOCOLS) {
      benches.set(protocol, await ColdKeyBench.start(PROCESSES, ctx.servers, { BENCH_PROTOCOL: protocol }));
    }
    for (let r = 0; r <= rounds; r++) {
      for (const protocol of PROTOCOLS) {
        const result = await (benches.get(protocol) as ColdKeyBench).round(
          'stampede-guard',
          CALLERS,
          LOADER_MS,
          `transports-${protocol}`,
        );
        if (r === 0) continue; // warm-up round
        results.get(protocol)?.push(result);
        ctx.log(
          `  stampede round ${r}/${rounds} ${protocol.padEnd(6)} loads ${result.loads}  p99 ${ms(result.latency.p99)} ms  loader ${ms(result.loaderMs)} ms`,
        );
      }
    }
  } finally {
    await Promise.all([...benches.values()].map((b) => b.close()));
  }
  const [binary, meta] = PROTOCOLS.map((p) => summarizeRounds('stampede-guard', results.get(p) ?? []));
  if (!binary || !meta) throw new Error('transports: no stampede rounds');
  const all = [...results.values()].flat();
  return {
    table: [
      [
        'stampede: loads per round (median / max)',
        `${count(binary.loadsMedian)} / ${binary.loadsMax}`,
        `${count(meta.loadsMedian)} / ${meta.loadsMax}`,
        '',
      ],
      [
        'stampede: p99 - loader, ms',
        ms(binary.overheadMs),
        ms(meta.overheadMs),
        `p99 ${ms(binary.p99)} vs ${ms(meta.p99)} ms`,
      ],
    ],
    targets: [
      {
        description: 'stampede: exactly 1 load in every round on both transports',
        pass: all.every((r) => r.loads === 1),
        actual: PROTOCOLS.map((p) => `${p} ${(results.get(p) ?? []).map((r) => r.loads).join(',')}`).join(
          '; ',
        ),
      },
      {
        description: 'stampede: meta p99 - loader no worse than binary (+2 ms noise)',
        pass: meta.overheadMs <= binary.overheadMs + 2,
        actual: `${ms(meta.overheadMs)} vs ${ms(binary.overheadMs)} ms`,
      },
      {
        description: 'stampede: no errors, no wrong values',
        pass: all.every((r) => r.errors === 0 && r.wrongValues === 0),
        actual: `${all.reduce((n, r) => n + r.errors + r.wrongValues, 0)}`,
      },
    ],
    notes: [
      `stampede: ${PROCESSES} processes x ${CALLERS} callers, a key never loaded, ${LOADER_MS} ms loader, safeMode 'always'; median of ${rounds} rounds per transport, rounds alternating.`,
    ],
    data: Object.fromEntries(
      PROTOCOLS.map((p) => [
        p,
        {
          summary: summaryForJson(p === 'meta' ? meta : binary),
          rounds: (results.get(p) ?? []).map(roundForJson),
        },
      ]),
    ),
  };
}

/** The node-death run (bench/scenarios/node-death.ts, safeMode 'auto') on each transport. */
async function nodeDeath(ctx: ScenarioContext): Promise<Row> {
  const watchMs = ctx.quick ? 4000 : 10_000;
  const runs = [];
  for (const protocol of PROTOCOLS)
    runs.push({ protocol, ...(await runMode('auto', watchMs, ctx, { protocol })) });
  const [binary, meta] = runs as [(typeof runs)[number], (typeof runs)[number]];
  const perLostKey = (r: typeof binary) => r.lostLoads / r.lostKeys;
  return {
    table: [
      [
        'node death: loads per lost key (worst key)',
        `${perLostKey(binary).toFixed(2)} (${binary.worstKey})`,
        `${perLostKey(meta).toFixed(2)} (${meta.worstKey})`,
        `lost keys ${binary.lostKeys}`,
      ],
      [
        'node death: errors, p99 ms',
        `${binary.errors}, ${ms(binary.latency.p99)}`,
        `${meta.errors}, ${ms(meta.latency.p99)}`,
        '',
      ],
    ],
    targets: [
      {
        description: 'node death: meta loads per lost key no more than binary (+0.1)',
        pass: perLostKey(meta) <= perLostKey(binary) + 0.1,
        actual: `${perLostKey(meta).toFixed(2)} vs ${perLostKey(binary).toFixed(2)}`,
      },
      {
        description: 'node death: no errors on either transport',
        pass: binary.errors + meta.errors === 0,
        actual: `binary ${binary.errors}, meta ${meta.errors}`,
      },
    ],
    notes: [
      `node death: 4 processes, 3 nodes, 300 keys, 20 ms loader, safeMode 'auto'; loads counted in the ${watchMs / 1000} s after the SIGKILL.`,
    ],
    data: runs,
  };
}

export const transports: Scenario = {
  name: 'transports',
  description: 'binary (memjs) vs meta, same run: hit path, round trips, stampede, node death',
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const rows: Record<string, Row> = {};
    rows.hitPath = await hitPath(ctx);
    rows.roundTrips = await roundTrips(ctx);
    rows.stampede = await stampede(ctx);
    rows.nodeDeath = await nodeDeath(ctx);
    const parts = Object.values(rows);
    return {
      name: 'transports',
      title: 'transports: binary (memjs) vs meta (our client), same run',
      config: {
        hitKeys: HIT_KEYS,
        hitConcurrency: HIT_CONCURRENCY,
        processes: PROCESSES,
        callers: CALLERS,
        loaderMs: LOADER_MS,
      },
      tables: [
        {
          headers: ['row', 'binary', 'meta', 'note'],
          rows: parts.flatMap((p) => p.table),
          align: ['left', 'right', 'right', 'left'],
        },
      ],
      targets: parts.flatMap((p) => p.targets),
      notes: [...parts.flatMap((p) => p.notes), 'Every row runs from dist/ (the tsc build).'],
      data: Object.fromEntries(Object.entries(rows).map(([name, p]) => [name, p.data])),
    };
  },
};
