/**
 * Acceptance 1: a Zipf-like workload over 1,000,000 distinct keys with varied costs. The recorder keeps a
 * bounded sketch and its top 100 by cost x frequency holds at least 95 of the true top 100.
 * Deterministic: a seeded PRNG, no timing.
 */
import { describe, expect, it } from 'vitest';
import { HotKeyRecorder } from '../../src/index.js';

const DISTINCT = 1_000_000;
const ZIPF_REQUESTS = 2_000_000;
const CAPACITY = 10_000;
const TOP = 100;

/** mulberry32: a small seeded PRNG, so the workload is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Zipf(s) over ranks 0..n-1 by inverse CDF (binary search in the cumulative weights). */
function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < n; r++) {
    total += 1 / (r + 1) ** s;
    cdf[r] = total;
  }
  return () => {
    const u = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

describe('HotKeyRecorder accuracy (acceptance 1)', () => {
  it('finds >= 95 of the true top 100 by cost x frequency over 1,000,000 keys in bounded memory', () => {
    const random = prng(20_240_611);
    // Costs from 1 to 200 ms, log-uniform: most keys cheap, a few very expensive.
    const baseCost = Float64Array.from({ length: DISTINCT }, () => Math.exp(random() * Math.log(200)));
    // Zipf ranks map to key ids through a shuffle, so popularity and id are unrelated.
    const idOfRank = Uint32Array.from({ length: DISTINCT }, (_, i) => i);
    for (let i = DISTINCT - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [idOfRank[i], idOfRank[j]] = [idOfRank[j] as number, idOfRank[i] as number];
    }
    const zipf = zipfSampler(DISTINCT, 1, random);

    // The stream: every key once (the long tail) interleaved at random with Zipf-distributed requests.
    const tail = Uint32Array.from(idOfRank).reverse();
    const total = DISTINCT + ZIPF_REQUESTS;
    const trueCount = new Uint32Array(DISTINCT);
    const recorder = new HotKeyRecorder({ capacity: CAPACITY });
    let tailNext = 0;
    let maxSize = 0;
    for (let i = 0; i < total; i++) {
      const fromTail = tailNext < DISTINCT && random() < (DISTINCT - tailNext) / (total - i);
      const id = fromTail ? (tail[tailNext++] as number) : (idOfRank[zipf()] as number);
      trueCount[id] = (trueCount[id] as number) + 1;
      const key = `item:${id}`;
      recorder.recordRequest(key, { kind: 'url', url: `/item/${id}` });
      // As on a hit: the cost read from the entry; measured costs jitter by +-20%.
      recorder.recordCost(key, (baseCost[id] as number) * (0.8 + 0.4 * random()));
      if ((i & 0xffff) === 0) maxSize = Math.max(maxSize, recorder.size);
    }

    expect(trueCount.every((c) => c >= 1)).toBe(true); // 1,000,000 distinct keys were requested
    expect(maxSize).toBeLessThanOrEqual(CAPACITY);
    expect(recorder.size).toBe(CAPACITY);

    const impact = (id: number) => (trueCount[id] as number) * (baseCost[id] as number);
    const trueTop = new Set(
      Array.from({ length: DISTINCT }, (_, id) => id)
        .sort((a, b) => impact(b) - impact(a))
        .slice(0, TOP)
        .map((id) => `item:${id}`),
    );
    const found = recorder.top(TOP);
    expect(found).toHaveLength(TOP);
    const overlap = found.filter((e) => trueTop.has(e.key)).length;
    expect(overlap).toBeGreaterThanOrEqual(95);
    // Every entry kept its replay, and the ranking is by impact.
    expect(found.every((e) => e.replay?.kind === 'url')).toBe(true);
    for (let i = 1; i < found.length; i++) {
      expect((found[i - 1] as { impactMs: number }).impactMs).toBeGreaterThanOrEqual(
        (found[i] as { impactMs: number }).impactMs,
      );
    }
    console.log(`recorder accuracy: ${overlap}/${TOP} of the true top ${TOP}, sketch size ${recorder.size}`);
  });
});
