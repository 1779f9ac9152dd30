/**
 * The demo's picture: one self-contained HTML file (inline SVG and CSS, nothing fetched when opened) with,
 * for each scenario, the database queries over time and the callers' latency percentiles, unprotected and
 * with stampede-guard side by side. Charts are Vega-Lite specs compiled and rendered to SVG in Node.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Mode, Outcome } from './scenarios.js';

export interface RecordedRun {
  scenario: string;
  mode: Mode;
  outcome: Outcome;
}

export interface ScenarioChart {
  scenario: string;
  /** File-name friendly scenario name. */
  slug: string;
  svg: string;
}

const MODES: readonly Mode[] = ['unprotected', 'stampede-guard'];
const COLORS = ['#d62728', '#2ca02c'];
const PERCENTILES = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p99', 0.99],
  ['max', 1],
] as const;

export function percentile(values: readonly number[], p: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted.length ? (sorted[Math.min(sorted.length, Math.ceil(p * sorted.length)) - 1] as number) : 0;
}

/** The smallest round bucket that keeps the chart under about 60 points per line. */
function bucketMs(spanMs: number): number {
  return [10, 20, 50, 100, 200, 250, 500, 1000, 2000].find((b) => spanMs / b <= 60) ?? 5000;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Queries per bucket for each mode, zeros included, over the span of the longer of the two phases. */
function queriesOverTime(runs: readonly RecordedRun[]): { bucket: number; values: object[] } {
  const span = runs.flatMap((r) => r.outcome.db.queryStartsMs).reduce((a, b) => Math.max(a, b), 1);
  const bucket = bucketMs(span);
  const count = Math.floor(span / bucket) + 1;
  const values = runs.flatMap(({ mode, outcome }) => {
    const counts = new Array<number>(count).fill(0);
    for (const t of outcome.db.queryStartsMs) {
      const i = Math.floor(t / bucket);
      counts[i] = (counts[i] ?? 0) + 1;
    }
    return counts.map((queries, i) => ({ mode, 'time (s)': (i * bucket) / 1000, queries }));
  });
  return { bucket, values };
}

function latencyPercentiles(runs: readonly RecordedRun[]): object[] {
  return runs.flatMap(({ mode, outcome }) =>
    PERCENTILES.map(([name, p]) => ({
      mode,
      percentile: name,
      ms: round(percentile(outcome.load.latencies, p)),
    })),
  );
}

function chartSpec(scenario: string, runs: readonly RecordedRun[]): TopLevelSpec {
  const color = {
    field: 'mode',
    type: 'nominal',
    scale: { domain: [...MODES], range: COLORS },
    title: null,
  } as const;
  const queries = queriesOverTime(runs);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: scenario, anchor: 'start', fontSize: 15 },
    config: { font: 'sans-serif', legend: { orient: 'bottom' }, view: { stroke: null } },
    hconcat: [
      {
        title: `database queries per ${queries.bucket} ms`,
        width: 380,
        height: 200,
        data: { values: queries.values },
        mark: { type: 'line', point: { size: 16 }, interpolate: 'step-after', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'time (s)', type: 'quantitative', title: 'time since the phase began (s)' },
          y: { field: 'queries', type: 'quantitative', title: 'queries started' },
          color,
        },
      },
      {
        title: 'caller latency (ms)',
        width: 220,
        height: 200,
        data: { values: latencyPercentiles(runs) },
        mark: 'bar',
        encoding: {
          x: { field: 'percentile', type: 'nominal', sort: PERCENTILES.map(([n]) => n), title: null },
          xOffset: { field: 'mode', sort: [...MODES] },
          y: { field: 'ms', type: 'quantitative', title: 'ms' },
          color,
        },
      },
    ],
  };
}

async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** One chart per scenario, in the order the scenarios were played. */
export async function renderCharts(runs: readonly RecordedRun[]): Promise<ScenarioChart[]> {
  const scenarios = [...new Set(runs.map((r) => r.scenario))];
  return Promise.all(
    scenarios.map(async (scenario) => ({
      scenario,
      slug: scenario.replace(/[^a-z0-9]+/gi, '-').toLowerCase(),
      svg: await renderSvg(
        chartSpec(
          scenario,
          runs.filter((r) => r.scenario === scenario),
        ),
      ),
    })),
  );
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The demo's columns after scenario and mode, as the console table and the report both show them. */
export const OUTCOME_COLUMNS = [
  'requests',
  'DB queries',
  'repeated',
  'DB peak',
  'p50 ms',
  'p99 ms',
  'errors',
];

/** One run's cells under OUTCOME_COLUMNS. */
export function outcomeCells({ load, db }: Outcome): string[] {
  return [
    load.latencies.length,
    db.queries,
    db.repeats,
    db.peakConcurrent,
    percentile(load.latencies, 0.5).toFixed(1),
    percentile(load.latencies, 0.99).toFixed(1),
    load.errors,
  ].map(String);
}

function numbersTable(runs: readonly RecordedRun[]): string {
  const head = ['mode', ...OUTCOME_COLUMNS];
  const rows = runs.map(({ mode, outcome }) =>
    [mode, ...outcomeCells(outcome)].map((c) => `<td>${escapeHtml(c)}</td>`),
  );
  return `<table><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>${rows
    .map((r) => `<tr>${r.join('')}</tr>`)
    .join('')}</table>`;
}

export function reportHtml(
  runs: readonly RecordedRun[],
  charts: readonly ScenarioChart[],
  quick: boolean,
): string {
  const sections = charts.map(({ scenario, svg }) => {
    const notes = runs.flatMap((r) => (r.scenario === scenario && r.outcome.note ? [r.outcome.note] : []));
    return `<section><h2>${escapeHtml(scenario)}</h2>${svg}${numbersTable(
      runs.filter((r) => r.scenario === scenario),
    )}${notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('')}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stampede-guard demo report</title>
<style>
body { font-family: sans-serif; margin: 2em auto; max-width: 960px; color: #222; }
section { margin: 2.5em 0; } svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 0.9em; margin-top: 0.5em; }
td, th { padding: 0.2em 0.7em; text-align: right; border-bottom: 1px solid #ddd; }
td:first-child, th:first-child { text-align: left; } .note { color: #555; font-size: 0.9em; }
</style></head><body>
<h1>stampede-guard demo</h1>
<p>Four Express workers, three local memcached nodes and one shared simulated database (50 ms per query,
slower the more queries run at once)${quick ? '; a quick run (<code>--quick</code>): shorter phases' : ''}.
Each scenario ran twice on fresh memcached nodes and a fresh cluster of Express workers: once with a
hand-written cache-aside (<span style="color:${COLORS[0]}">unprotected</span>), once with
<span style="color:${COLORS[1]}">stampede-guard</span>. Left: database queries started per time bucket,
from the start of the measured phase. Right: latency percentiles of every request in that phase.</p>
${sections.join('\n')}
</body></html>
`;
}

/** Writes `report.html` and one SVG per scenario into `dir`; returns the report's path. */
export async function writeReport(
  runs: readonly RecordedRun[],
  quick: boolean,
  dir = path.join(os.tmpdir(), 'stampede-guard-demo-report'),
): Promise<string> {
  const charts = await renderCharts(runs);
  mkdirSync(dir, { recursive: true });
  for (const { slug, svg } of charts) writeFileSync(path.join(dir, `${slug}.svg`), svg);
  const file = path.join(dir, 'report.html');
  writeFileSync(file, reportHtml(runs, charts, quick));
  return file;
}
