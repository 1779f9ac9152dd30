/**
 * `npm run bench`: starts memcached (unless MEMCACHED_SERVERS is set), runs the scenarios, prints a
 * table per scenario and writes everything to bench/results/latest.json. Exits 0 when the run completed
 * (targets missed are reported, not fatal), 1 when it crashed, 2 on bad flags. Every process it starts
 * is stopped on the way out, also on Ctrl+C.
 */

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { killAllWorkers } from '../test/support/workers.js';
import { type BenchArgs, parseBenchArgs, USAGE } from './lib/args.js';
import { commandLine, gitRevision, machineInfo } from './lib/machine.js';
import { type ResultsFile, renderBenchmarksMarkdown } from './lib/markdown.js';
import { renderTable, renderTargets } from './lib/report.js';
import { writeResults } from './lib/results.js';
import { type BenchServers, openServers } from './lib/servers.js';
import { hitPath } from './scenarios/hit-path.js';
import { httpHotPath } from './scenarios/http-hot-path.js';
import { invalidation } from './scenarios/invalidation.js';
import { nodeDeath } from './scenarios/node-death.js';
import { nodeReturn } from './scenarios/node-return.js';
import { scaling } from './scenarios/scaling.js';
import type { Scenario, ScenarioResult } from './scenarios/scenario.js';
import { stampede } from './scenarios/stampede.js';
import { transports } from './scenarios/transports.js';
import { warmupRecorder } from './scenarios/warmup-recorder.js';

const BENCHMARKS_MD = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const SCENARIOS: readonly Scenario[] = [
  stampede,
  hitPath,
  scaling,
  nodeDeath,
  nodeReturn,
  warmupRecorder,
  transports,
  httpHotPath,
  invalidation,
];

function selectScenarios(only: readonly string[]): Scenario[] {
  if (only.length === 0) return [...SCENARIOS];
  const unknown = only.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  }
  return SCENARIOS.filter((s) => only.includes(s.name));
}

class UsageError extends Error {}

function print(result: ScenarioResult, seconds: number): void {
  const out = [`\n== ${result.title}`, ''];
  for (const table of result.tables) out.push(renderTable(table), '');
  if (result.targets.length > 0) out.push('targets:', renderTargets(result.targets));
  for (const note of result.notes) out.push(`  note: ${note}`);
  out.push(`  (${seconds.toFixed(1)} s)`);
  console.log(out.join('\n'));
}

async function run(args: BenchArgs, argv: readonly string[]): Promise<void> {
  const scenarios = selectScenarios(args.only);
  const startedAt = new Date();
  const t0 = performance.now();
  let servers: BenchServers | undefined;
  try {
    servers = await openServers();
    const where = servers.external ? 'MEMCACHED_SERVERS' : 'started for this run';
    const versions = Object.entries(servers.versions).map(([a, v]) => `${a} (memcached ${v})`);
    console.log(`stampede-guard bench${args.quick ? ' --quick' : ''}: ${versions.join(', ')}, ${where}`);
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const ctx = { servers: servers.addresses, quick: args.quick, log };

    const results: Array<ScenarioResult & { seconds: number }> = [];
    for (const scenario of scenarios) {
      log(`-- ${scenario.name}: ${scenario.description}`);
      const s0 = performance.now();
      const result = await scenario.run(ctx);
      const seconds = (performance.now() - s0) / 1000;
      print(result, seconds);
      results.push({ ...result, seconds });
    }

    const totalSeconds = (performance.now() - t0) / 1000;
    // Only a full run stands for the project: partial or --quick runs go to a file of their own.
    const full = !args.quick && args.only.length === 0;
    const report = {
      date: startedAt.toISOString(),
      command: commandLine(argv),
      argv: process.argv,
      options: { quick: args.quick, only: args.only },
      machine: machineInfo(),
      memcached: {
        servers: Object.keys(servers.versions),
        versions: servers.versions,
        external: servers.external,
      },
      git: gitRevision(),
      totalSeconds: Math.round(totalSeconds * 10) / 10,
      scenarios: Object.fromEntries(
        results.map((r) => [
          r.name,
          {
            title: r.title,
            config: r.config,
            seconds: Math.round(r.seconds * 10) / 10,
            targets: r.targets,
            notes: r.notes,
            tables: r.tables,
            data: r.data,
          },
        ]),
      ),
    };
    const file = await writeResults(full ? 'latest.json' : 'partial.json', report);
    if (full) await writeFile(BENCHMARKS_MD, renderBenchmarksMarkdown(report as unknown as ResultsFile));
    const missed = results.flatMap((r) =>
      r.targets.filter((t) => !t.pass).map((t) => `${r.name}: ${t.description}`),
    );
    console.log(`\nresults: ${path.relative(process.cwd(), file)}  total ${totalSeconds.toFixed(1)} s`);
    if (missed.length > 0) console.log(`targets missed (${missed.length}):\n  ${missed.join('\n  ')}`);
  } finally {
    await killAllWorkers();
    await servers?.stop();
  }
}

// Ctrl+C: exit through 'exit', where the harness's reaper SIGKILLs every child it tracks.
process.once('SIGINT', () => process.exit(130));

const argv = process.argv.slice(2);
let code = 0;
try {
  const args = parseBenchArgs(argv);
  if (args.help) console.log(USAGE);
  else await run(args, argv);
} catch (error) {
  const usage =
    error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  console.error(usage ? `bench: ${(error as Error).message}\n\n${USAGE}` : error);
  code = usage ? 2 : 1;
}
// Leftover sockets or timers (e.g. a memjs reconnect) must not keep a finished run alive.
process.exit(code);
