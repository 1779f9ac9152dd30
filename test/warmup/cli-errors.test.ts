/**
 * Acceptance 5, and the CLI's contract around it: bad input is one line on stderr and exit 2, a run
 * failure is exit 1, never a stack trace; --max-failures, --json, --dry-run, and Ctrl+C (exit 130 with a
 * partial summary).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deferred } from '../support/deferred.js';
import { freePort } from '../support/memcached.js';
import { type CliResult, runCli, startCli } from './cli-runner.js';

let dir: string;
let server: http.Server;
let baseUrl: string;
const seen: string[] = [];
let hold: Promise<void> | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sg-cli-'));
  // /bypass/* answers BYPASS, /fail/* 500, /slow/* waits for `hold`; a page is MISS the first time it is
  // served, then HIT (stored, as the middleware would).
  const stored = new Set<string>();
  server = http.createServer(async (req, res) => {
    const url = req.url ?? '';
    seen.push(url);
    if (url.startsWith('/slow/') && hold) await hold;
    if (url.startsWith('/fail/')) res.writeHead(500).end();
    else if (url.startsWith('/bypass/')) res.writeHead(200, { 'x-cache': 'BYPASS' }).end('ok');
    else res.writeHead(200, { 'x-cache': stored.has(url) ? 'HIT' : 'MISS' }).end('ok');
    stored.add(url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, content);
  return p;
}

function hotlist(urls: string[]): string {
  const entries = urls.map((url, i) => ({
    key: url,
    count: urls.length - i,
    costMs: 5,
    replay: { kind: 'url', url },
  }));
  return JSON.stringify({ version: 1, writtenAt: '', pid: 1, host: 'h', entries });
}

/** Exactly one line on stderr matching `message`, no stack trace. */
function expectOneLineError(r: CliResult, code: number, message: RegExp): void {
  expect(r.code).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^cache-warmup: /);
  expect(lines[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('cache-warmup: bad input (acceptance 5)', () => {
  it('unknown flag: exit 2', async () => {
    expectOneLineError(
      await runCli(['--hotlist', 'x', '--frobnicate']),
      2,
      /unknown option --frobnicate \(see --help\)/,
    );
  });

  it('missing hotlist: exit 2, naming the file', async () => {
    const missing = path.join(dir, 'missing.json');
    const r = await runCli(['--hotlist', missing, '--base-url', baseUrl]);
    expectOneLineError(r, 2, new RegExp(`hotlist ${missing}: no such file or directory`));
  });

  it('corrupt hotlist: exit 2, naming the file', async () => {
    const corrupt = await file('corrupt.json', '{"version":1,"entries":[{"key":');
    expectOneLineError(
      await runCli(['--hotlist', corrupt, '--base-url', baseUrl]),
      2,
      /corrupt\.json: not valid JSON/,
    );
  });

  it('a hotlist that is not JSON at all: one complete line with the place', async () => {
    const garbage = await file('garbage.json', 'garbage{\n  more\n');
    expectOneLineError(
      await runCli(['--hotlist', garbage, '--base-url', baseUrl]),
      2,
      /garbage\.json: not valid JSON at line 1, column 1 \(unexpected token 'g'\)$/,
    );
  });

  it('unreachable base URL: exit 1', async () => {
    const list = await file('reach.json', hotlist(['/ok/1']));
    const port = await freePort();
    const r = await runCli(['--hotlist', list, '--base-url', `http://127.0.0.1:${port}`]);
    expectOneLineError(r, 1, new RegExp(`cannot reach http://127.0.0.1:${port}: .*ECONNREFUSED`));
  });

  it('malformed URL list: exit 2, naming the line', async () => {
    const urls = await file('urls.txt', '/ok/1\n# a comment\n\nhttp://elsewhere/x\n');
    expectOneLineError(
      await runCli(['--urls', urls, '--base-url', baseUrl]),
      2,
      /urls\.txt:4: expected a path/,
    );
  });

  it('module without the expected exports: exit 2', async () => {
    const list = await file('m.json', hotlist(['/ok/1']));
    const mod = await file('bad-module.mjs', 'export const nothing = 1;\n');
    expectOneLineError(await runCli(['--module', mod, '--hotlist', list]), 2, /must export `cache`/);
  });

  it('a module whose import never finishes: exit 1 after --timeout, one line', async () => {
    const list = await file('hang.json', hotlist(['/ok/1']));
    // A top-level await on something that never comes, with a timer keeping the event loop alive
    // (as a database connection would): without a bound, the CLI waits forever.
    const mod = await file(
      'hanging-module.mjs',
      'setInterval(() => {}, 1000);\nawait new Promise(() => {});\nexport const cache = {};\n',
    );
    const r = await runCli(['--module', mod, '--hotlist', list, '--timeout', '300ms'], { timeoutMs: 15_000 });
    expectOneLineError(r, 1, /hanging-module\.mjs: its import did not finish within 300 ms \(--timeout\)$/);
  });

  it('a hotlist with nothing replayable here: exit 2, saying why', async () => {
    const entries = [
      { key: 'product:[1]', count: 3, costMs: 9, replay: { kind: 'loader', name: 'product', args: [1] } },
    ];
    const list = await file('loaders-only.json', JSON.stringify({ version: 1, entries }));
    const r = await runCli(['--hotlist', list, '--base-url', baseUrl]);
    expectOneLineError(r, 2, /nothing to replay: 1 no loader named "product"$/);
  });

  it('--json: a bad flag is one JSON object on stdout too, besides the line on stderr', async () => {
    for (const args of [['--top', 'x'], ['--frobnicate']]) {
      const r = await runCli(['--hotlist', 'x', '--base-url', baseUrl, '--json', ...args]);
      expectOneLineError(r, 2, /--top must be an integer|unknown option --frobnicate/);
      expect(JSON.parse(r.stdout)).toEqual({
        ok: false,
        exitCode: 2,
        error: expect.stringMatching(/^--top|^unknown/),
      });
    }
  });

  it('--help: exit 0, every flag documented', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--hotlist',
      '--urls',
      '--module',
      '--base-url',
      '--max-failures',
      '--dry-run',
      '--json',
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });
});

describe('cache-warmup: runs', () => {
  it('replays a URL list and prints a summary; progress goes to stderr', async () => {
    const urls = await file('ok.txt', '/ok/a\n/ok/b\n/ok/a\n');
    const r = await runCli(['--urls', urls, '--base-url', baseUrl, '--rate', '0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^cache-warmup: warmed 2, skipped 0, failed 0 of 2 entries in /);
    expect(r.stderr).toMatch(/^cache-warmup: 2\/2 \(100%\)/m);
  });

  it('counts uncacheable pages apart (exit 0), but exits 1 when every page bypassed the cache', async () => {
    const some = await file('some-bypass.txt', '/ok/u\n/bypass/1\n');
    const mixed = await runCli(['--urls', some, '--base-url', baseUrl, '--rate', '0']);
    expect(mixed.code).toBe(0);
    expect(mixed.stdout).toMatch(/warmed 1, skipped 0, failed 0, uncacheable 1 of 2 entries/);
    const all = await file('all-bypass.txt', '/bypass/2\n/bypass/3\n');
    const bypassed = await runCli(['--urls', all, '--base-url', baseUrl, '--rate', '0']);
    expect(bypassed.code).toBe(1);
    expect(bypassed.stderr).toContain('no page was stored (X-Cache: BYPASS');
  });

  it('exits 1 when failures pass --max-failures, 0 when within; --json prints one object', async () => {
    const list = await file('mixed.json', hotlist(['/ok/1', '/fail/1', '/ok/2']));
    const args = ['--hotlist', list, '--base-url', baseUrl, '--retries', '0', '--rate', '0', '--json'];
    const over = await runCli(args);
    expect(over.code).toBe(1);
    const summary = JSON.parse(over.stdout);
    expect(summary).toMatchObject({ ok: false, total: 3, warmed: 2, failed: 1 });
    expect(summary.failures).toEqual([{ key: '/fail/1', target: `${baseUrl}/fail/1`, error: 'HTTP 500' }]);
    expect(over.stderr).toBe(''); // --json: no progress
    const within = await runCli([...args, '--max-failures', '1']);
    expect(within.code).toBe(0);
    expect(JSON.parse(within.stdout)).toMatchObject({ ok: true, failed: 1 });
  });

  it('--dry-run lists the plan in rank order and fetches nothing', async () => {
    const list = await file('dry.json', hotlist(['/ok/dry1', '/ok/dry2']));
    const before = seen.length;
    const r = await runCli(['--hotlist', list, '--base-url', baseUrl, '--dry-run', '--json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.entries.map((e: { target: string }) => e.target)).toEqual([
      `${baseUrl}/ok/dry1`,
      `${baseUrl}/ok/dry2`,
    ]);
    expect(seen.length).toBe(before);
  });

  it('Ctrl+C stops scheduling, lets in-flight entries finish, prints the partial summary, exits 130', async () => {
    const release = deferred();
    hold = release.promise;
    const urls = Array.from({ length: 20 }, (_, i) => `/slow/${i}`);
    const list = await file('slow.json', hotlist(urls));
    const run = startCli(['--hotlist', list, '--base-url', baseUrl, '--concurrency', '2', '--rate', '0']);
    await expect.poll(() => seen.filter((u) => u.startsWith('/slow/')).length, { timeout: 10_000 }).toBe(2);
    run.child.kill('SIGINT');
    await run.stderrLine(/stopping/);
    release.resolve();
    const r = await run.result;
    hold = undefined;
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(
      /^cache-warmup: interrupted: warmed 2, skipped 0, failed 0 of 20 entries in .* \(18 not run\)/,
    );
    expect(new Set(seen.filter((u) => u.startsWith('/slow/'))).size).toBe(2); // no entry started after
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
