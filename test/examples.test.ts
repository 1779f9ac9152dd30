/** Every example runs with its one command and prints what the README says it shows. */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const example = (script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, ['--import', 'tsx', script, ...args], {
    timeout: 60_000,
    env: { ...process.env, MEMCACHED_SERVERS: '', ...env },
  });

describe('examples', () => {
  it('basic: 100 concurrent calls, one database query, then a hit', async () => {
    const { stdout } = await example('examples/basic/users.ts');
    expect(stdout).toContain("100 concurrent getUser('42') calls -> 1 database query");
    expect(stdout).toContain('one more call -> a hit, still 1 database query');
    expect(stdout).toContain('store errors 0');
  });

  it('basic: says so when memcached is unreachable, and that the loader answered', async () => {
    const { stdout } = await example('examples/basic/users.ts', [], { MEMCACHED_SERVERS: '127.0.0.1:1' });
    expect(stdout).toContain('one more call -> a miss, loaded again: 2 database queries');
    expect(stdout).toMatch(
      /memcached \(127\.0\.0\.1:1\) was unreachable \(store errors: [1-9]\d*\): every value came from the loader/,
    );
    expect(stdout).not.toContain('a hit');
  });

  it('express: 4 cluster workers absorb 100 concurrent requests for a cold page with one render', async () => {
    const { stdout } = await example('examples/express/cluster.ts', ['--stampede']);
    // Late arrivals may find the page stored already (HIT) instead of waiting for it (WAIT).
    expect(stdout, stdout).toMatch(/a cold page: \{[^}]*\bMISS: 1\b/);
    expect(stdout).toContain('(total 1 )');
  });

  it('metrics: a scrape returns the stampede_guard series', async () => {
    const { stdout } = await example('examples/metrics/server.ts');
    expect(stdout).toMatch(/stampede_guard_loads_total\{cache="products"\} 10/);
    expect(stdout).toMatch(/stampede_guard_node_up\{cache="products",node="127\.0\.0\.1:\d+"\} 1/);
  });

  it('import the package by its name, not by a path into the repository', () => {
    for (const file of ['basic/users.ts', 'express/cluster.ts', 'metrics/server.ts', 'warmup/app.ts']) {
      const source = readFileSync(`examples/${file}`, 'utf8');
      expect(source, file).toMatch(/from 'stampede-guard(\/prometheus)?'/);
      expect(source, file).not.toMatch(/from '[./]+\/(src|test)\//);
    }
  });
});

describe('without memcached, and no way to install it', () => {
  // Hidden: nothing on PATH or in the search directories; MEMCACHED_INSTALL=no stands in for "no root".
  const noMemcached = {
    PATH: '/nonexistent',
    MEMCACHED_SEARCH_PATH: '',
    MEMCACHED_INSTALL: 'no',
    MEMCACHED_BIN: '',
  };

  it.each([
    'examples/demo/run.ts',
    'examples/basic/users.ts',
    'examples/express/cluster.ts',
    'examples/metrics/server.ts',
    'examples/warmup/run.ts',
  ])('%s prints one line with the command to run and exits 1', async (script) => {
    const failure = await example(script, [], noMemcached).then(
      () => undefined,
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toBe('');
    expect(failure?.stderr).toMatch(
      /^memcached is not installed [^\n]*`[^`\n]*memcached`[^\n]*then try again[^\n]*\n$/,
    );
  });
});

describe('stopping `npm run example:express` by its npm pid, as a supervisor would', () => {
  it.each([
    ['once it serves', 'serving', ''],
    ['while its workers start', undefined, ''],
    // No local memcached to stop; the workers still go with the primary.
    ['once it serves, with MEMCACHED_SERVERS', 'serving', '127.0.0.1:1'],
  ])(
    'SIGTERM %s: no tsx, primary, worker or memcached process survives',
    async (_when, waitFor, servers) => {
      const npm = spawn('npm', ['run', 'example:express', '--', '--serve'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, MEMCACHED_SERVERS: servers },
      });
      const pid = npm.pid as number;
      let output = '';
      npm.stdout.on('data', (chunk) => {
        output += chunk;
      });
      npm.stderr.on('data', (chunk) => {
        output += chunk;
      });
      const exited = once(npm, 'exit');
      // Started: the primary, 4 workers and memcached unless MEMCACHED_SERVERS is set.
      const started = servers ? 5 : 6;
      await expect
        .poll(
          () => (waitFor === undefined || output.includes(waitFor)) && descendants(pid).length >= started,
          {
            timeout: 30_000,
            interval: 20,
          },
        )
        .toBe(true);
      const family = descendants(pid);

      npm.kill('SIGTERM');
      await exited;
      await expect.poll(() => family.filter(isRunning), { timeout: 10_000, interval: 50 }).toEqual([]);
      expect(output).not.toMatch(/\n\s+at /); // no stack trace
    },
    60_000,
  );
});

/** Every process below `root`, from /proc (Linux, where the tests run memcached). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const visit = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(root);
  return found;
}

function isRunning(pid: number): boolean {
  try {
    // A zombie still answers kill(0): it has exited, only not been reaped yet.
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
