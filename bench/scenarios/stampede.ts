/**
 * Cold-key stampede: P processes x C concurrent callers ask for one missing key, released together.
 * Baselines and conditions in the same run, rounds interleaved so drift hits them alike: plain
 * get-then-set and in-process coalescing on a key never loaded; the full protocol with the safe- lock on
 * a key never loaded (nothing to estimate from), on an expired key whose loader takes its recorded cost
 * again, and on one whose loader takes 0.5x to 1.5x of it.
 */
import { ColdKeyBench, type RoundResult } from '../lib/cold-key.js';
import { baseline, KNOWN_COST, type Line, NO_PREVIOUS_COST, VARYING_COST } from '../lib/lines.js';
import { count, ms, ratio } from '../lib/report.js';
import { roundForJson, summarizeRounds, summaryForJson } from '../lib/rounds.js';
import { median } from '../lib/stats.js';
import type { Scenario, ScenarioContext, ScenarioResult } from './scenario.js';

const PROCESSES = 4;
const CALLERS = 50;
const LOADER_MS = 200;
const OVERHEAD_TARGET_MS = 10;
/** Reads per waited second a waiter may make (docs/architecture.md, "Waiting"). */
export const READS_BUDGET_PER_WAITED_SECOND = 200;
const LINES: readonly Line[] = [
  baseline('plain'),
  baseline('coalesce'),
  KNOWN_COST,
  VARYING_COST,
  NO_PREVIOUS_COST,
];
const GUARDED = [KNOWN_COST, VARYING_COST, NO_PREVIOUS_COST];

export const stampede: Scenario = {
  name: 'stampede',
  description: `${PROCESSES} processes x ${CALLERS} callers on one cold key, ${LOADER_MS} ms loader`,
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const rounds = ctx.quick ? 2 : 5;
    const config = {
      processes: PROCESSES,
      callersPerProcess: CALLERS,
      loaderMs: LOADER_MS,
      rounds,
      warmupRounds: 1,
    };
    const bench = await ColdKeyBench.start(PROCESSES, ctx.servers);
    const results = new Map<Line, RoundResult[]>(LINES.map((line) => [line, []]));
    try {
      for (let r = 0; r <= rounds; r++) {
        for (const line of LINES) {
          const loaderMs = line.loaderMs(LOADER_MS, Math.max(r, 1));
          const result = await bench.round(
            line.strategy,
            CALLERS,
            loaderMs,
            'stampede',
            line.options(LOADER_MS),
          );
          if (r === 0) continue; // warm-up round: JIT and first-use costs, discarded
          results.get(line)?.push(result);
          ctx.log(
            `  round ${r}/${rounds} ${line.label.padEnd(34)} loads ${result.loads}  p99 ${ms(result.latency.p99)} ms  loader ${ms(result.loaderMs)} ms  reads/waiter ${ms(result.readsPerWaiter)}`,
          );
        }
      }
    } finally {
      await bench.close();
    }

    const summaries = LINES.map((line) => ({
      line,
      ...summarizeRounds(line.strategy, results.get(line) ?? []),
    }));
    const plain = summaries.find((s) => s.line.strategy === 'plain');
    const guarded = summaries.filter((s) => GUARDED.includes(s.line));
    const allGuardRounds = GUARDED.flatMap((line) => results.get(line) ?? []);
    const skews = [...results.values()].flat().map((r) => r.releaseSkewMs);

    return {
      name: 'stampede',
      title: `stampede: ${PROCESSES} processes x ${CALLERS} callers, one cold key, ${LOADER_MS} ms loader (median of ${rounds} rounds)`,
      config,
      tables: [
        {
          headers: [
            'strategy',
            'loads',
            'loads max',
            'loads / plain',
            'p50 ms',
            'p95 ms',
            'p99 ms',
            'loader ms',
            'p99 - loader',
            'go → load start',
            'p99 / loader',
            'reads / waiter',
            'reads / waited s',
            'node gets',
            'errors',
          ],
          rows: summaries.map((s) => [
            s.line.label,
            count(s.loadsMedian),
            String(s.loadsMax),
            ratio(s.loadsMedian / (plain?.loadsMedian ?? Number.NaN), 3),
            ms(s.p50),
            ms(s.p95),
            ms(s.p99),
            ms(s.loaderMs),
            ms(s.overheadMs),
            ms(s.loadStartMs),
            ratio(s.p99 / s.loaderMs),
            s.line.strategy === 'stampede-guard' ? ms(s.readsPerWaiter) : '-',
            s.line.strategy === 'stampede-guard' ? ms(s.readsPerWaitedSecond) : '-',
            count(s.nodeGets),
            String(s.errors + s.wrongValues),
          ]),
        },
      ],
      targets: [
        {
          description: 'stampede-guard: exactly 1 load in every round',
          pass: allGuardRounds.every((r) => r.loads === 1),
          actual: `loads per round ${allGuardRounds.map((r) => r.loads).join(', ')}`,
        },
        ...guarded.map((s) => ({
          description: `${s.line.label}: waiter p99 within ${OVERHEAD_TARGET_MS} ms of the loader time`,
          pass: s.overheadMs <= OVERHEAD_TARGET_MS,
          actual: `p99 - loader = ${ms(s.overheadMs)} ms (median of rounds)`,
        })),
        ...guarded.map((s) => ({
          description: `${s.line.label}: at most ${READS_BUDGET_PER_WAITED_SECOND} reads per waited second`,
          pass: s.readsPerWaitedSecond <= READS_BUDGET_PER_WAITED_SECOND,
          actual: `${ms(s.readsPerWaitedSecond)} reads/s, ${ms(s.readsPerWaiter)} per waiter (median of rounds)`,
        })),
        {
          description: 'every caller got the value for its key, no errors',
          pass: summaries.every((s) => s.errors === 0 && s.wrongValues === 0),
          actual: summaries.map((s) => `${s.line.label} ${s.errors + s.wrongValues}`).join(', '),
        },
      ],
      notes: [
        'Latency: per caller, from the go message arriving in its process to the value in hand (performance.now()).',
        'Percentiles are nearest-rank over all callers of a round; the table shows the median of the round values.',
        '"loader ms" is the measured sleep of the simulated database; "p99 - loader" is what waiting adds.',
        '"go → load start": ms from the go message to the first loader start in its process (plain: a get;',
        "stampede-guard: a get, then the lock add with its re-read), part of every caller's p99 - loader.",
        '"no previous cost": a key never loaded. "known cost": an expired entry recording a 200 ms load, and the loader takes 200 ms again. "cost ±50%": the same entry, the loader taking 100/300/140/260/200 ms in rounds 1-5.',
        '"reads / waiter": memcached gets of the data and lock keys per waiting process (one waiter per process and key); "reads / waited s": the same per second of waiting. "node gets": every get the node served in the round (all processes, initial reads included).',
        'The simulated database does not slow down under load, so plain latency looks fine: its cost is the load count.',
        `Release skew across processes (go message arrival): median ${ms(median(skews))} ms, max ${ms(Math.max(...skews))} ms.`,
        'Peer reference (DESIGN.md, not measured here): dogpile.cache, 200 ms loader, 100 callers: 1 load, p50 ~600 ms, p99 ~2 s.',
      ],
      data: {
        summaries: summaries.map(({ line, ...s }) => ({ line: line.label, ...summaryForJson(s) })),
        rounds: Object.fromEntries([...results].map(([line, rs]) => [line.label, rs.map(roundForJson)])),
      },
    };
  },
};
