/**
 * What recording costs on the hit path: `cache.wrap()` hits through memcached with and without a
 * HotKeyRecorder (same process, paired, alternating measurements), and the recorder alone per call, on
 * tracked keys (the steady state) and on a stream of ever-new keys (every call evicts). Targets: the
 * recorder's own time is at most 2% of a wrap hit's; and, as a sanity check, the paired ratio of the two
 * caches is >= 0.90 (repetitions vary by more than the recorder costs, so that ratio is mostly noise).
 */

import { performance } from 'node:perf_hooks';
import { createCache, HotKeyRecorder } from '../../src/index.js';
import { int, ratio } from '../lib/report.js';
import { median, round } from '../lib/stats.js';
import { measureThroughput } from '../lib/throughput.js';
import type { Scenario, ScenarioContext, ScenarioResult } from './scenario.js';

const KEYS = 1000;
const CONCURRENCY = 32;
const TARGET_OVERHEAD = 0.02;
const TARGET_RATIO = 0.9;

const measure = (ops: number, op: (i: number) => Promise<unknown>) =>
  measureThroughput(ops, CONCURRENCY, KEYS, op);

/** Nanoseconds per recordRequest + recordCost pair over `keys` (pre-built strings: no allocation timed). */
function recorderNs(keys: readonly string[], calls: number): number {
  const recorder = new HotKeyRecorder();
  const replay = { kind: 'url' as const, url: '/x' };
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    const key = keys[i % keys.length] as string;
    recorder.recordRequest(key, replay);
    recorder.recordCost(key, 12.5);
  }
  return ((performance.now() - started) * 1e6) / calls;
}

export const warmupRecorder: Scenario = {
  name: 'warmup-recorder',
  description: `cache.wrap() hits with vs without a HotKeyRecorder, ${CONCURRENCY} loops over ${KEYS} keys`,
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const ops = ctx.quick ? 20_000 : 50_000;
    const repetitions = ctx.quick ? 5 : 15;
    const prefix = `bench-rec-${process.pid}-${Date.now().toString(36)}`;
    const recorder = new HotKeyRecorder();
    const plain = createCache({ servers: [...ctx.servers], ttl: 600, namespace: prefix });
    const recorded = createCache({ servers: [...ctx.servers], ttl: 600, namespace: prefix, recorder });
    try {
      for (let i = 0; i < KEYS; i++) await plain.set(`k${i}`, { id: i, name: `item-${i}` });
      const miss = () => {
        throw new Error('warmup-recorder: a pre-populated key missed');
      };
      const variants = {
        plain: (i: number) => plain.wrap(`k${i}`, miss),
        recorded: (i: number) => recorded.wrap(`k${i}`, miss),
      };
      for (const v of ['plain', 'recorded'] as const) await measure(10_000, variants[v]); // warm-up
      const samples = { plain: [] as number[], recorded: [] as number[] };
      for (let rep = 0; rep < repetitions; rep++) {
        const order = rep % 2 === 0 ? (['plain', 'recorded'] as const) : (['recorded', 'plain'] as const);
        for (const v of order) samples[v].push(await measure(ops, variants[v]));
        ctx.log(
          `  rep ${rep + 1}/${repetitions}: plain ${int(samples.plain.at(-1) ?? 0)}/s  recorded ${int(samples.recorded.at(-1) ?? 0)}/s`,
        );
      }
      const paired = median(samples.recorded.map((x, i) => x / (samples.plain[i] as number)));

      const calls = ctx.quick ? 1_000_000 : 5_000_000;
      const tracked = Array.from({ length: KEYS }, (_, i) => `item:${i}`);
      const fresh = Array.from({ length: calls }, (_, i) => `item:${i}`);
      const nsTracked = median([1, 2, 3].map(() => recorderNs(tracked, calls)));
      const nsEvicting = median([1, 2, 3].map(() => recorderNs(fresh, calls)));
      // The recorder's share of one hit: its own ns per call over the time of a wrap hit without it.
      const overhead = (nsTracked * median(samples.plain)) / 1e9;
      return {
        name: 'warmup-recorder',
        title: `warmup-recorder: wrap() hits with and without a recorder (${int(ops)} ops x ${repetitions}), recorder alone`,
        config: {
          keys: KEYS,
          concurrency: CONCURRENCY,
          opsPerMeasurement: ops,
          repetitions,
          recorderCalls: calls,
        },
        tables: [
          {
            headers: ['variant', 'ops/s (median)', 'us/op', 'vs plain (paired)'],
            rows: [
              [
                'cache.wrap hit',
                int(median(samples.plain)),
                (1e6 / median(samples.plain)).toFixed(1),
                ratio(1),
              ],
              [
                'cache.wrap hit + recorder',
                int(median(samples.recorded)),
                (1e6 / median(samples.recorded)).toFixed(1),
                ratio(paired),
              ],
            ],
          },
          {
            headers: ['recorder alone (recordRequest + recordCost)', 'ns/call'],
            rows: [
              [`${KEYS} tracked keys (steady state)`, nsTracked.toFixed(0)],
              [`${int(calls)} distinct keys (every call evicts)`, nsEvicting.toFixed(0)],
            ],
          },
        ],
        targets: [
          {
            description: `recorder time / wrap hit time <= ${TARGET_OVERHEAD * 100}%`,
            pass: overhead <= TARGET_OVERHEAD,
            actual: `${(overhead * 100).toFixed(2)}% (${nsTracked.toFixed(0)} ns of ${(1e6 / median(samples.plain)).toFixed(1)} us)`,
          },
          {
            description: `wrap hit with recorder / without >= ${TARGET_RATIO} (paired)`,
            pass: paired >= TARGET_RATIO,
            actual: ratio(paired),
          },
          {
            description: 'sketch stays bounded',
            pass: recorder.size <= recorder.capacity,
            actual: `${recorder.size} of ${recorder.capacity} counters`,
          },
        ],
        notes: [
          'Same process, same memcached, same keys; the two caches alternate, order flipped every repetition.',
          'The recorder alone is timed on pre-built key strings with a constant cost (a hit reads it from the entry).',
        ],
        data: {
          opsPerSecond: {
            plain: samples.plain.map((x) => round(x, 0)),
            recorded: samples.recorded.map((x) => round(x, 0)),
          },
          ratioRecordedToPlain: round(paired, 3),
          recorderShareOfHit: round(overhead, 4),
          recorderNsTracked: round(nsTracked, 1),
          recorderNsEvicting: round(nsEvicting, 1),
        },
      };
    } finally {
      await plain.close();
      await recorded.close();
    }
  },
};
