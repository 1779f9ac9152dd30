/**
 * Cold-key stampede: P processes x C concurrent callers ask for one key nobody has read, released
 * together. Three strategies in the same run, rounds interleaved so drift hits them alike:
 * plain get-then-set, in-process coalescing only, and the full protocol with the safe- lock.
 */
import { ColdKeyBench, type RoundResult } from '../lib/cold-key.js';
import { STRATEGIES, type Strategy } from '../lib/protocol.js';
import { count, ms, ratio } from '../lib/report.js';
import { roundForJson, summarizeRounds, summaryForJson } from '../lib/rounds.js';
import { median } from '../lib/stats.js';
import type { Scenario, ScenarioContext, ScenarioResult } from './scenario.js';

const PROCESSES = 4;
const CALLERS = 50;
const LOADER_MS = 200;
const OVERHEAD_TARGET_MS = 50;

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
    const results = new Map<Strategy, RoundResult[]>(STRATEGIES.map((s) => [s, []]));
    try {
      for (let r = 0; r <= rounds; r++) {
        for (const strategy of STRATEGIES) {
          const result = await bench.round(strategy, CALLERS, LOADER_MS, 'stampede');
          if (r === 0) continue; // warm-up round: JIT and first-use costs, discarded
          results.get(strategy)?.push(result);
          ctx.log(
            `  round ${r}/${rounds} ${strategy.padEnd(14)} loads ${result.loads}  p99 ${ms(result.latency.p99)} ms`,
          );
        }
      }
    } finally {
      await bench.close();
    }

    const summaries = STRATEGIES.map((s) => summarizeRounds(s, results.get(s) ?? []));
    const plain = summaries.find((s) => s.strategy === 'plain');
    const guard = summaries.find((s) => s.strategy === 'stampede-guard');
    const allGuardRounds = results.get('stampede-guard') ?? [];
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
            'p99 / loader',
            'errors',
          ],
          rows: summaries.map((s) => [
            s.strategy,
            count(s.loadsMedian),
            String(s.loadsMax),
            ratio(s.loadsMedian / (plain?.loadsMedian ?? Number.NaN), 3),
            ms(s.p50),
            ms(s.p95),
            ms(s.p99),
            ms(s.loaderMs),
            ms(s.overheadMs),
            ratio(s.p99 / s.loaderMs),
            String(s.errors + s.wrongValues),
          ]),
        },
      ],
      targets: guard
        ? [
            {
              description: 'stampede-guard: exactly 1 load in every round',
              pass: allGuardRounds.every((r) => r.loads === 1),
              actual: `loads per round ${allGuardRounds.map((r) => r.loads).join(', ')}`,
            },
            {
              description: `stampede-guard: waiter p99 within ${OVERHEAD_TARGET_MS} ms of the loader time`,
              pass: guard.overheadMs <= OVERHEAD_TARGET_MS,
              actual: `p99 - loader = ${ms(guard.overheadMs)} ms (median of rounds)`,
            },
            {
              description: 'every caller got the value for its key, no errors',
              pass: summaries.every((s) => s.errors === 0 && s.wrongValues === 0),
              actual: summaries.map((s) => `${s.strategy} ${s.errors + s.wrongValues}`).join(', '),
            },
          ]
        : [],
      notes: [
        'Latency: per caller, from the go message arriving in its process to the value in hand (performance.now()).',
        'Percentiles are nearest-rank over all callers of a round; the table shows the median of the round values.',
        '"loader ms" is the measured sleep of the simulated database; "p99 - loader" is what waiting adds.',
        'The simulated database does not slow down under load, so plain latency looks fine: its cost is the load count.',
        `Release skew across processes (go message arrival): median ${ms(median(skews))} ms, max ${ms(Math.max(...skews))} ms.`,
        'Peer reference (DESIGN.md, not measured here): dogpile.cache, 200 ms loader, 100 callers: 1 load, p50 ~600 ms, p99 ~2 s.',
      ],
      data: {
        summaries: summaries.map(summaryForJson),
        rounds: Object.fromEntries([...results].map(([s, rs]) => [s, rs.map(roundForJson)])),
      },
    };
  },
};
