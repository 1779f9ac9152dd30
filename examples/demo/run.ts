/**
 * `npm run demo`: the operators' story, played on this machine. Four Express workers serve product pages
 * from one shared, slow database through memcached (3 local nodes on free ports): once with a plain
 * cache-aside, once with stampede-guard, through a cold-key stampede, a node dying under load, a node
 * restarting empty, and a go-live after memcached lost everything. A table compares what the database saw.
 *
 * Every process it starts is stopped on the way out. `--quick` plays shorter phases (CI runs it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureMemcachedOrExit } from '../../scripts/memcached/ensure.js';
import { stopAllMemcached } from '../../test/support/memcached.js';
import { killAllWorkers } from '../../test/support/workers.js';
import { startDatabase } from './database.js';
import { OUTCOME_COLUMNS, outcomeCells, writeReport } from './report.js';
import { type Mode, type Outcome, SCENARIOS } from './scenarios.js';

const quick = process.argv.includes('--quick');
const MODES: readonly Mode[] = ['unprotected', 'stampede-guard'];
const QUERY_MS = 50;

const progress = (line: string) =>
  process.stdout.isTTY ? process.stdout.write(`\r\x1b[K${line}`) : process.stdout.write(`${line}\n`);

function printTable(rows: Array<{ scenario: string; mode: Mode; outcome: Outcome }>): void {
  const header = ['scenario', 'mode', ...OUTCOME_COLUMNS];
  const cells = rows.map(({ scenario, mode, outcome }) => [scenario, mode, ...outcomeCells(outcome)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) =>
    c.map((x, i) => (i < 2 ? x.padEnd(widths[i] as number) : x.padStart(widths[i] as number))).join('  ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const c of cells) console.log(line(c));
  for (const { outcome } of rows) if (outcome.note) console.log(`\n${outcome.note}`);
}

async function main(): Promise<void> {
  ensureMemcachedOrExit();
  const db = await startDatabase(QUERY_MS);
  const hotlistDir = mkdtempSync(path.join(os.tmpdir(), 'stampede-guard-demo-'));
  console.log(
    `stampede-guard demo: 4 Express workers, 3 memcached nodes, a shared database (${QUERY_MS} ms per query, slower under load)${quick ? ', quick' : ''}\n`,
  );
  try {
    const rows = [];
    const total = SCENARIOS.length * MODES.length;
    const started = performance.now();
    for (const scenario of SCENARIOS) {
      for (const mode of MODES) {
        progress(
          `  [${rows.length + 1}/${total}] ${scenario.name} (${mode})... ${((performance.now() - started) / 1000).toFixed(0)} s`,
        );
        rows.push({
          scenario: scenario.name,
          mode,
          outcome: await scenario.play(mode, { db, quick, hotlistDir }),
        });
      }
    }
    progress(`  done in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    printTable(rows);
    console.log(`\nCharts of every scenario: ${await writeReport(rows, quick)}`);
    console.log(
      '\nUnprotected, every worker that misses queries the database, and the database slows down for everyone.',
      '\nWith stampede-guard one worker renders each missing page under a safe- lock while the others wait; safe',
      '\nmode reroutes a dead node’s keys and locks every miss; the warmup refills the hottest pages before go-live.',
    );
  } finally {
    await db.close();
    rmSync(hotlistDir, { recursive: true, force: true });
  }
}

try {
  await main();
} finally {
  await killAllWorkers();
  await stopAllMemcached();
}
