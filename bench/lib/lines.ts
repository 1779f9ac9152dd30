/**
 * The cold-key conditions a stampede-guard round can start from: the key never loaded (no previous cost),
 * or expired with its previous cost recorded, the loader then taking that long again or ±50% of it.
 */
import type { RoundOptions } from './cold-key.js';
import type { Strategy } from './protocol.js';

export interface Line {
  label: string;
  strategy: Strategy;
  /** The loader's duration in round `r` (1-based) for a nominal `loaderMs`. */
  loaderMs(nominalMs: number, r: number): number;
  /** How the round starts. */
  options(nominalMs: number): RoundOptions;
}

/** The ±50% rounds: both extremes first, so even a --quick run meets them. */
const VARYING = [0.5, 1.5, 0.7, 1.3, 1.0] as const;

const asIs = (nominalMs: number) => nominalMs;

export const NO_PREVIOUS_COST: Line = {
  label: 'stampede-guard, no previous cost',
  strategy: 'stampede-guard',
  loaderMs: asIs,
  options: () => ({}),
};

export const KNOWN_COST: Line = {
  label: 'stampede-guard, known cost',
  strategy: 'stampede-guard',
  loaderMs: asIs,
  options: (nominalMs) => ({ previousCostMs: nominalMs }),
};

export const VARYING_COST: Line = {
  label: 'stampede-guard, cost ±50%',
  strategy: 'stampede-guard',
  loaderMs: (nominalMs, r) => Math.round(nominalMs * (VARYING[(r - 1) % VARYING.length] as number)),
  options: (nominalMs) => ({ previousCostMs: nominalMs }),
};

/** The unprotected baselines (on a key never loaded). */
export const baseline = (strategy: Strategy): Line => ({
  label: strategy,
  strategy,
  loaderMs: asIs,
  options: () => ({}),
});
