/** Summaries of cold-key rounds: per-strategy medians, and compact JSON forms. */
import type { RoundResult } from './cold-key.js';
import type { Strategy } from './protocol.js';
import { median, round } from './stats.js';

export interface StrategySummary {
  strategy: Strategy;
  rounds: number;
  loadsMedian: number;
  loadsMax: number;
  p50: number;
  p95: number;
  p99: number;
  loaderMs: number;
  overheadMs: number;
  /** Median of the rounds' go → first loader start in the loading process. */
  loadStartMs: number;
  errors: number;
  wrongValues: number;
  /** Medians of the rounds' reads per waiting process, reads per waited second, and node gets. */
  readsPerWaiter: number;
  readsPerWaitedSecond: number;
  nodeGets: number;
}

/** Per-strategy medians of the round values (loads also as a max: one bad round must show). */
export function summarizeRounds(strategy: Strategy, rounds: readonly RoundResult[]): StrategySummary {
  const of = (pick: (r: RoundResult) => number) => median(rounds.map(pick));
  return {
    strategy,
    rounds: rounds.length,
    loadsMedian: of((r) => r.loads),
    loadsMax: Math.max(...rounds.map((r) => r.loads)),
    p50: of((r) => r.latency.p50),
    p95: of((r) => r.latency.p95),
    p99: of((r) => r.latency.p99),
    loaderMs: of((r) => r.loaderMs),
    overheadMs: of((r) => r.overheadMs),
    loadStartMs: of((r) => r.loadStartMs),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    wrongValues: rounds.reduce((sum, r) => sum + r.wrongValues, 0),
    readsPerWaiter: of((r) => r.readsPerWaiter),
    readsPerWaitedSecond: of((r) => r.readsPerWaitedSecond),
    nodeGets: of((r) => r.nodeGets),
  };
}

export function summaryForJson(s: StrategySummary): Record<string, unknown> {
  return {
    ...s,
    p50: round(s.p50),
    p95: round(s.p95),
    p99: round(s.p99),
    loaderMs: round(s.loaderMs),
    overheadMs: round(s.overheadMs),
    loadStartMs: round(s.loadStartMs),
    readsPerWaiter: round(s.readsPerWaiter),
    readsPerWaitedSecond: round(s.readsPerWaitedSecond),
  };
}

export function roundForJson(r: RoundResult): Record<string, unknown> {
  return {
    ...r,
    latency: Object.fromEntries(Object.entries(r.latency).map(([k, v]) => [k, round(v)])),
    loaderMs: round(r.loaderMs),
    overheadMs: round(r.overheadMs),
    loadStartMs: round(r.loadStartMs),
    releaseSkewMs: round(r.releaseSkewMs),
    readsPerWaiter: round(r.readsPerWaiter),
    readsPerWaitedSecond: round(r.readsPerWaitedSecond),
  };
}
