/**
 * Scaling: more processes on the same cold key with stampede-guard. Coordination is cross-process,
 * so the load count must stay at 1 however many processes pile on.
 */
import { ColdKeyBench, type RoundResult } from '../lib/cold-key.js';
import { count, ms, ratio } from '../lib/report.js';
import { roundForJson, summarizeRounds, summaryForJson } from '../lib/rounds.js';
import type { Scenario, ScenarioContext, ScenarioResult } from './scenario.js';

const PROCESS_COUNTS = [1, 2, 4, 8] as const;
const CALLERS = 25;
const LOADER_MS = 200;

export const scaling: Scenario = {
  name: 'scaling',
  description: `stampede-guard with ${PROCESS_COUNTS.join('/')} processes x ${CALLERS} callers on one cold key`,
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const rounds = ctx.quick ? 1 : 3;
    const config = {
      processCounts: [...PROCESS_COUNTS],
      callersPerProcess: CALLERS,
      loaderMs: LOADER_MS,
      rounds,
      warmupRounds: 1,
      strategy: 'stampede-guard',
    };
    const rows: Array<{ processes: number; rounds: RoundResult[] }> = [];
    for (const processes of PROCESS_COUNTS) {
      const bench = await ColdKeyBench.start(processes, ctx.servers);
      const measured: RoundResult[] = [];
      try {
        for (let r = 0; r <= rounds; r++) {
          const result = await bench.round('stampede-guard', CALLERS, LOADER_MS, 'scaling');
          if (r > 0) measured.push(result); // round 0 warms up
        }
      } finally {
        await bench.close();
      }
      ctx.log(`  ${processes} processes: loads ${measured.map((m) => m.loads).join(', ')}`);
      rows.push({ processes, rounds: measured });
    }

    const summaries = rows.map((row) => ({
      processes: row.processes,
      ...summarizeRounds('stampede-guard', row.rounds),
    }));
    const single = summaries[0];
    const allRounds = rows.flatMap((row) => row.rounds);
    return {
      name: 'scaling',
      title: `scaling: stampede-guard, N processes x ${CALLERS} callers, one cold key, ${LOADER_MS} ms loader (median of ${rounds} round${rounds > 1 ? 's' : ''})`,
      config,
      tables: [
        {
          headers: [
            'processes',
            'callers',
            'loads',
            'loads max',
            'p50 ms',
            'p99 ms',
            'p99 - loader',
            'p99 / 1-process p99',
            'errors',
          ],
          rows: summaries.map((s) => [
            String(s.processes),
            String(s.processes * CALLERS),
            count(s.loadsMedian),
            String(s.loadsMax),
            ms(s.p50),
            ms(s.p99),
            ms(s.overheadMs),
            ratio(s.p99 / (single?.p99 ?? Number.NaN)),
            String(s.errors + s.wrongValues),
          ]),
        },
      ],
      targets: [
        {
          description: 'loads stay 1 in every round at every process count',
          pass: allRounds.every((r) => r.loads === 1),
          actual: rows
            .map((row) => `${row.processes}p: ${row.rounds.map((r) => r.loads).join('/')}`)
            .join(', '),
        },
      ],
      notes: [
        'With 1 process there are no cross-process waiters: p99 is the loader plus in-process coalescing.',
        'On a 2-core machine 8 processes share 2 cores with memcached: part of the growth is CPU contention.',
      ],
      data: rows.map((row, i) => ({
        processes: row.processes,
        summary: summaries[i] ? summaryForJson(summaries[i]) : undefined,
        rounds: row.rounds.map(roundForJson),
      })),
    };
  },
};
