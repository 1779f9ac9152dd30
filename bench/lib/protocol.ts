/** Messages between the benchmark parent and its cold-key workers (bench/workers/cold-key-worker.ts). */

export const STRATEGIES = ['plain', 'coalesce', 'stampede-guard'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** Payload of `group.go()`: one round on one cold key. */
export interface RoundPayload {
  /** Unique per round; the worker echoes it back. */
  id: string;
  strategy: Strategy;
  /** A key nobody has read before. */
  key: string;
  /** Concurrent callers in each worker. */
  callers: number;
  /** How long the simulated database query sleeps. */
  loaderMs: number;
}

/** What each worker reports after a round: {type: 'round', ...RoundReport}. */
export interface RoundReport {
  id: string;
  strategy: Strategy;
  worker: number;
  pid: number;
  /** Per caller: ms from this worker's arrival of the go message to the value in hand. */
  latencies: number[];
  /** Calls of the simulated database loader in this worker. */
  loads: number;
  /** Measured duration of each of those loader calls, in ms. */
  loaderDurations: number[];
  /** When each of those loader calls started, in ms after this worker's go message. */
  loaderStarts: number[];
  /** Callers that rejected. */
  errors: number;
  /** Callers that got a value for another key (must stay 0). */
  wrongValues: number;
  /** First error message, if any. */
  firstError?: string;
  /** Wall clock (performance.timeOrigin + now) at the go message: the release skew across processes. */
  goWallMs: number;
  /** Difference of `cache.stats()` across the round (not for `plain`). */
  stats?: Record<string, number>;
  /** Cross-process waits in this worker (`wait:done` events), their memcached reads and their total ms. */
  waits: number;
  waitReads: number;
  waitedMs: number;
}

/** Parent -> worker: close the clients and exit. */
export const EXIT_MESSAGE = { type: 'exit' } as const;
