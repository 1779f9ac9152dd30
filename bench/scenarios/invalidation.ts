/**
 * Invalidation: what tags cost a hit, and how soon an invalidation is seen elsewhere.
 *
 * - Tagged vs untagged hits: `cache.wrap()` hits on pre-populated keys, each tagged entry carrying one
 *   of 10 tags, the call naming it, against untagged hits of a cache that never met a tag; same
 *   concurrency, alternating measurements, paired ratio. Target: untagged / tagged <= 1.3. A tagged hit
 *   reads the namespace's tag epoch with its entry (one get per event-loop turn, shared) and judges the
 *   entry against the tag states this process kept while the epoch stays (src/invalidation/tag-versions.ts).
 * - Time from `invalidateTags()` (called here) to the first read that finds the entry not fresh in
 *   another process (a worker reading it in a loop), on one host's clock; and what the call itself takes.
 * Both protocols. The library is measured as users run it: the tsc build in dist/.
 */

import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { nextMessage } from '../../test/support/worker-commands.js';
import { spawnWorkers } from '../../test/support/workers.js';
import { library } from '../lib/library.js';
import { int, ms, ratio } from '../lib/report.js';
import { median, percentile } from '../lib/stats.js';
import { measureThroughput } from '../lib/throughput.js';
import type { Scenario, ScenarioContext, ScenarioResult } from './scenario.js';

const KEYS = 1000;
const CONCURRENCY = 32;
const TAGS = 10;
const TARGET_COST = 1.3;
const TTL_SECONDS = 600;
const WORKER = fileURLToPath(new URL('../workers/invalidation-reader.ts', import.meta.url));
const PROTOCOLS = ['binary', 'meta'] as const;
type Protocol = (typeof PROTOCOLS)[number];

const missLoader = () => {
  throw new Error('invalidation bench: the loader ran, so a pre-populated key missed');
};
const now = () => performance.timeOrigin + performance.now();

async function hitCost(ctx: ScenarioContext, protocol: Protocol, ops: number, repetitions: number) {
  const namespace = `bench-inv-${process.pid}-${protocol}`;
  // Two caches: one that never meets a tag (a process that has met tags reads the epoch along with
  // untagged hits too, see src/read-through/entries.ts), so the baseline is an untagged hit as it is.
  const options = { servers: [...ctx.servers], protocol, namespace, ttl: TTL_SECONDS, opTimeoutMs: 2000 };
  const plain = library.createCache(options);
  const cache = library.createCache(options);
  try {
    const tagOf = (i: number) => [`tag-${i % TAGS}`];
    for (let i = 0; i < KEYS; i++) {
      await plain.wrap(`plain:${i}`, () => ({ id: i }));
      await cache.wrap(`tagged:${i}`, () => ({ id: i }), { tags: tagOf(i) });
    }
    const variants = {
      untagged: (i: number) => plain.wrap(`plain:${i}`, missLoader),
      tagged: (i: number) => cache.wrap(`tagged:${i}`, missLoader, { tags: tagOf(i) }),
    };
    for (const run of Object.values(variants)) await measureThroughput(5000, CONCURRENCY, KEYS, run);
    const before = [plain.stats(), cache.stats()];
    const samples = { untagged: [] as number[], tagged: [] as number[] };
    for (let rep = 0; rep < repetitions; rep++) {
      const order = rep % 2 === 0 ? (['untagged', 'tagged'] as const) : (['tagged', 'untagged'] as const);
      for (const v of order) samples[v].push(await measureThroughput(ops, CONCURRENCY, KEYS, variants[v]));
      ctx.log(
        `  ${protocol} rep ${rep + 1}/${repetitions}: untagged ${int(samples.untagged.at(-1) ?? 0)}/s  tagged ${int(samples.tagged.at(-1) ?? 0)}/s`,
      );
    }
    const cost = median(samples.untagged.map((u, i) => u / (samples.tagged[i] as number)));
    const after = [plain.stats(), cache.stats()];
    const counts = {
      hits: after.reduce((sum, s) => sum + s.hits, 0) - before.reduce((sum, s) => sum + s.hits, 0),
      misses: after.reduce((sum, s) => sum + s.misses, 0) - before.reduce((sum, s) => sum + s.misses, 0),
    };
    return { untagged: median(samples.untagged), tagged: median(samples.tagged), cost, counts };
  } finally {
    await plain.close();
    await cache.close();
  }
}

async function timeToStale(ctx: ScenarioContext, protocol: Protocol, rounds: number) {
  const namespace = `bench-inv-seen-${process.pid}-${protocol}`;
  const cache = library.createCache({ servers: [...ctx.servers], protocol, namespace, opTimeoutMs: 2000 });
  const group = await spawnWorkers(WORKER, {
    count: 1,
    env: { BENCH_SERVERS: ctx.servers.join(','), BENCH_PROTOCOL: protocol, BENCH_NAMESPACE: namespace },
  });
  const seen: number[] = [];
  const calls: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const key = `watched:${round}`;
      await cache.wrap(key, () => round, { tags: ['watched'] });
      const stale = nextMessage(group, 0, 'stale-seen');
      group.send(0, { type: 'watch', key });
      await new Promise((resolve) => setTimeout(resolve, 20)); // the worker is reading in its loop
      const start = now();
      await cache.invalidateTags(['watched']);
      calls.push(now() - start);
      seen.push(((await stale).at as number) - start);
    }
  } finally {
    await group.close();
    await cache.close();
  }
  return { seen, calls };
}

export const invalidation: Scenario = {
  name: 'invalidation',
  description: `tagged vs untagged wrap() hits (${CONCURRENCY} loops, ${KEYS} keys), and invalidateTags() to the first non-fresh read in another process`,
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const ops = ctx.quick ? 10_000 : 40_000;
    const repetitions = ctx.quick ? 3 : 9;
    const rounds = ctx.quick ? 10 : 40;
    const results = [];
    for (const protocol of PROTOCOLS) {
      const hits = await hitCost(ctx, protocol, ops, repetitions);
      const stale = await timeToStale(ctx, protocol, rounds);
      results.push({ protocol, hits, stale });
    }
    return {
      name: 'invalidation',
      title: `invalidation: tagged vs untagged hits (${CONCURRENCY} loops, ${KEYS} keys, 1 tag each, median of ${repetitions}); invalidateTags() seen elsewhere (${rounds} rounds)`,
      config: {
        keys: KEYS,
        concurrency: CONCURRENCY,
        tags: TAGS,
        opsPerMeasurement: ops,
        repetitions,
        rounds,
      },
      tables: [
        {
          headers: ['protocol', 'untagged hits/s', 'tagged hits/s', 'cost (untagged / tagged, paired)'],
          rows: results.map(({ protocol, hits }) => [
            protocol,
            int(hits.untagged),
            int(hits.tagged),
            ratio(hits.cost),
          ]),
        },
        {
          headers: [
            'protocol',
            'invalidateTags() p50',
            'p99',
            'first non-fresh read elsewhere p50',
            'p99',
            'max',
          ],
          rows: results.map(({ protocol, stale }) => [
            protocol,
            ms(median(stale.calls)),
            ms(percentile(stale.calls, 99)),
            ms(median(stale.seen)),
            ms(percentile(stale.seen, 99)),
            ms(Math.max(...stale.seen)),
          ]),
        },
      ],
      targets: results.flatMap(({ protocol, hits }) => [
        {
          description: `${protocol}: a tagged hit costs <= ${TARGET_COST}x an untagged one`,
          pass: hits.cost <= TARGET_COST,
          actual: ratio(hits.cost),
        },
        {
          description: `${protocol}: every measured call was a hit`,
          pass: hits.counts.misses === 0,
          actual: `${int(hits.counts.hits)} hits, ${hits.counts.misses} misses`,
        },
      ]),
      notes: [
        "A tagged hit reads its entry and the namespace's tag epoch in the same tick (hits of one event-loop",
        'turn share the epoch read) and is judged against the tag states this process read since it saw that',
        'epoch; a tag is read again only when the epoch moved (src/invalidation/tag-versions.ts). The',
        'untagged baseline is a second cache that never met a tag (one that has reads the epoch along too).',
        "The time to a non-fresh read runs from just before invalidateTags() to the worker's first read that",
        "saw it, on this host's clock.",
      ],
      data: results,
    };
  },
};
