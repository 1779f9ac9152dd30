/**
 * The demo's HTML report, built from a small recorded result: one self-contained file with one chart per
 * scenario, each carrying the measured series (queries per time bucket, latency percentiles) of both modes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RecordedRun, writeReport } from '../examples/demo/report.js';

const run = (scenario: string, mode: RecordedRun['mode'], queryStartsMs: number[], latencies: number[]) => ({
  scenario,
  mode,
  outcome: {
    load: { latencies, errors: 0 },
    db: { queries: queryStartsMs.length, repeats: 0, peakConcurrent: 1, queryStartsMs },
  },
});

const RUNS: RecordedRun[] = [
  run('cold-key stampede', 'unprotected', [1, 2, 3, 250, 260], [100, 200, 300, 400]),
  run('cold-key stampede', 'stampede-guard', [5], [50, 51, 52, 53]),
  run('memcached node dies under load', 'unprotected', [0, 10, 20], [1, 2, 3, 348]),
  run('memcached node dies under load', 'stampede-guard', [0], [1, 2, 3, 21]),
];

const dir = mkdtempSync(path.join(os.tmpdir(), 'stampede-guard-report-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('demo report', () => {
  it('writes one self-contained HTML file with one chart per scenario and the measured series', async () => {
    const file = await writeReport(RUNS, true, dir);
    expect(file).toBe(path.join(dir, 'report.html'));
    const html = readFileSync(file, 'utf8');

    const charts = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(charts).toHaveLength(2);
    const [coldKey, nodeDeath] = charts as [string, string];
    expect(coldKey).toContain('cold-key stampede');
    expect(nodeDeath).toContain('memcached node dies under load');

    // Queries per bucket (span 260 ms → 10 ms buckets): three at 0 s and two at 0.25-0.26 s unprotected.
    expect(coldKey).toContain(
      'aria-label="time since the phase began (s): 0; queries started: 3; mode: unprotected"',
    );
    expect(coldKey).toContain('queries started: 1; mode: stampede-guard"');
    // Latency percentiles of both modes.
    expect(coldKey).toContain('percentile: p99; ms: 400; mode: unprotected"');
    expect(coldKey).toContain('percentile: p50; ms: 51; mode: stampede-guard"');
    expect(nodeDeath).toContain('percentile: max; ms: 348; mode: unprotected"');

    // Opens without a network: no scripts, stylesheets or images fetched from anywhere.
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(/i);
    expect(readdirSync(dir).sort()).toEqual([
      'cold-key-stampede.svg',
      'memcached-node-dies-under-load.svg',
      'report.html',
    ]);
  });
});
