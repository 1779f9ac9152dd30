/** Every example runs with its one command and prints what the README says it shows. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const example = (script: string, ...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', script, ...args], {
    timeout: 60_000,
    env: { ...process.env, MEMCACHED_SERVERS: '' },
  });

describe('examples', () => {
  it('basic: 100 concurrent calls, one database query', async () => {
    const { stdout } = await example('examples/basic/users.ts');
    expect(stdout).toContain("100 concurrent getUser('42') calls -> 1 database query");
    expect(stdout).toContain('still 1 query (a hit)');
  });

  it('express: 4 cluster workers absorb 100 concurrent requests for a cold page with one render', async () => {
    const { stdout } = await example('examples/express/cluster.ts', '--stampede');
    // Late arrivals may find the page stored already (HIT) instead of waiting for it (WAIT).
    expect(stdout, stdout).toMatch(/a cold page: \{[^}]*\bMISS: 1\b/);
    expect(stdout).toContain('(total 1 )');
  });

  it('metrics: a scrape returns the stampede_guard series', async () => {
    const { stdout } = await example('examples/metrics/server.ts');
    expect(stdout).toMatch(/stampede_guard_loads_total\{cache="products"\} 10/);
    expect(stdout).toMatch(/stampede_guard_node_up\{cache="products",node="127\.0\.0\.1:\d+"\} 1/);
  });
});
