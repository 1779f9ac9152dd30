/**
 * `npm run demo`: the operators' story, played on this machine. A cluster of worker processes serves
 * requests through memcached over a slow database, once with a plain cache-aside and once with
 * stampede-guard, and a table compares what the database saw.
 *
 * Starts its own memcached nodes on free loopback ports (or uses MEMCACHED_SERVERS) and stops every
 * process it started. `--quick` runs shorter scenarios (used by CI).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startCluster, stopAllMemcached } from '../../test/support/memcached.js';
import { killAllWorkers, spawnWorkers } from '../../test/support/workers.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const quick = process.argv.includes('--quick');
const WORKERS = 4;

interface Row {
  scenario: string;
  mode: string;
  requests: number;
  queries: number;
  p50: number;
  p99: number;
  errors: number;
}

function requireMemcached(): void {
  if (process.env.MEMCACHED_SERVERS) return;
  try {
    execFileSync('memcached', ['-V'], { stdio: 'ignore' });
  } catch {
    console.error(
      'memcached is not installed: run `sudo apt-get install -y memcached` (or set MEMCACHED_SERVERS)',
    );
    process.exit(1);
  }
}

async function play(scenario: string, servers: string[], job: Record<string, unknown>): Promise<Row[]> {
  const rows: Row[] = [];
  for (const mode of ['unprotected', 'stampede-guard'] as const) {
    process.stdout.write(`  running: ${scenario} (${mode})...\n`);
    const group = await spawnWorkers(WORKER, { count: WORKERS, env: { SERVERS: servers.join(',') } });
    group.go({ ...job, mode, keys: (job.keys as string[]).map((k) => `${k}:${mode}:${Date.now()}`) });
    const results = (await group.done(60_000)).map((r) => r.messages.at(-1) as unknown as Report);
    const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
    rows.push({
      scenario,
      mode,
      requests: latencies.length,
      queries: results.reduce((n, r) => n + r.queries, 0),
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      errors: results.reduce((n, r) => n + r.errors, 0),
    });
  }
  return rows;
}

interface Report {
  queries: number;
  latencies: number[];
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length
    ? (sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number)
    : 0;
}

function printTable(rows: Row[]): void {
  const header = ['scenario', 'mode', 'requests', 'DB queries', 'p50 ms', 'p99 ms', 'errors'];
  const cells = rows.map((r) =>
    [r.scenario, r.mode, r.requests, r.queries, r.p50.toFixed(1), r.p99.toFixed(1), r.errors].map(String),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) =>
    c.map((x, i) => (i < 2 ? x.padEnd(widths[i] as number) : x.padStart(widths[i] as number))).join('  ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  requireMemcached();
  const servers = process.env.MEMCACHED_SERVERS?.split(',') ?? (await startCluster(3)).map((n) => n.address);
  console.log(
    `stampede-guard demo: ${WORKERS} worker processes, memcached ${servers.join(', ')}, database query 200 ms\n`,
  );
  const rows = [
    ...(await play('cold-key stampede', servers, {
      keys: ['home-page'],
      concurrency: 50,
      requests: 1,
      queryMs: 200,
      ttl: 60,
      grace: 0,
    })),
    ...(await play('hot key expiring under load', servers, {
      keys: ['top-products'],
      concurrency: 10,
      durationMs: quick ? 2500 : 5000,
      queryMs: 200,
      ttl: 1,
      grace: 5,
    })),
  ];
  printTable(rows);
  console.log(
    '\nUnprotected, every worker that misses queries the database; with stampede-guard one worker per key',
    '\nregenerates under a safe- lock (memcached add) while the others wait, or are served the stale value in grace.',
  );
}

try {
  await main();
} finally {
  await killAllWorkers();
  await stopAllMemcached();
}
