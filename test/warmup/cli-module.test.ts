/**
 * Acceptance 4: `cache-warmup --module` warms `cached()` functions by name and arguments, through real
 * memcached, under the same keys and safe- locks as the application: with live calls during the warmup,
 * each key is still loaded once. A second run skips everything; --force loads everything again. On both
 * protocols (the CLI's --module cache gets the protocol from CACHE_PROTOCOL).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cache, createCache, HotKeyRecorder } from '../../src/index.js';
import { catalog } from '../fixtures/warmup-catalog.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS, protocolEnv } from '../support/protocols.js';
import { runCli } from './cli-runner.js';

const MODULE = fileURLToPath(new URL('../fixtures/warmup-loaders.ts', import.meta.url));
const NAMESPACE = `mod${Date.now()}`;
let node: MemcachedProcess;
let dir: string;
let log: string;

beforeAll(async () => {
  node = await startMemcached();
  dir = await mkdtemp(path.join(os.tmpdir(), 'sg-warmup-module-'));
  log = path.join(dir, 'loads.log');
});
afterAll(async () => {
  await stopAllMemcached();
  await rm(dir, { recursive: true, force: true });
});

/** The application's side: cached functions over the shared catalog, as live traffic calls them. */
function application(cache: Cache) {
  const loaders = catalog(log);
  return {
    product: cache.cached('product', loaders.product.fn, loaders.product.options),
    search: cache.cached('search', loaders.search),
    orphan: cache.cached('orphan', async (n: number) => n), // a name the module does not export
  };
}

const loads = async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
function tally(lines: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of lines) counts[line] = (counts[line] ?? 0) + 1;
  return counts;
}

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('cache-warmup --module (acceptance 4)', () => {
    it('warms cached functions by name and arguments, once each, even with live calls', async () => {
      // 1. The application serves and records a hotlist.
      const namespace = `${NAMESPACE}-${protocol}`;
      const hotlistFile = path.join(dir, `hotlist-${protocol}.json`);
      const recorder = new HotKeyRecorder({ hotlistFile, writeIntervalMs: 0 });
      const appCache = createCache({
        protocol,
        servers: [node.address],
        namespace,
        safeMode: 'always',
        recorder,
      });
      const app = application(appCache);
      // Keys in sorted order, as argumentsKey() writes them, so JSON.stringify gives the cache key.
      const queries = [1, 2, 3].map((page) => ({ page, term: 'lamp' }));
      for (let id = 1; id <= 10; id++) for (let i = 0; i < 11 - id; i++) await app.product(id);
      for (const q of queries) await app.search(q);
      await app.orphan(1);
      await appCache.wrap('plain', () => 'no replay');
      await recorder.close();
      const keys = [
        ...Array.from({ length: 10 }, (_, i) => `product:[${i + 1}]`),
        ...queries.map((q) => `search:[${JSON.stringify(q)}]`),
      ];

      // 2. memcached restarts empty; the application keeps serving while the warmup runs.
      await node.restart();
      await writeFile(log, '');
      const env = { SERVERS: node.address, NAMESPACE: namespace, LOAD_LOG: log, ...protocolEnv(protocol) };
      const args = [
        '--module',
        MODULE,
        '--hotlist',
        hotlistFile,
        '--json',
        '--rate',
        '0',
        '--concurrency',
        '3',
      ];
      const cli = runCli(args, { env });
      const live = (async () => {
        while ((await loads()).length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        const calls = [
          ...Array.from({ length: 10 }, (_, i) => () => app.product(10 - i)),
          ...queries.map((q) => () => app.search(q)),
        ];
        await Promise.all(calls.map((call) => call()));
      })();
      const first = await cli;
      await live;

      expect(first.code, first.stderr).toBe(0);
      const summary = JSON.parse(first.stdout);
      expect(summary).toMatchObject({ ok: true, total: keys.length, failed: 0 });
      expect(summary.warmed + summary.skipped).toBe(keys.length);
      expect(summary.warmed).toBeGreaterThan(0);
      expect(summary.ignored).toEqual({ 'no loader named "orphan"': 1, 'no replay recorded': 1 });
      expect(tally(await loads())).toEqual(Object.fromEntries(keys.map((k) => [k, 1])));
      const reader = createCache({ protocol, servers: [node.address], namespace });
      expect(await reader.get('product:[3]')).toEqual({ id: 3, name: 'product 3' });
      expect(await reader.get(`search:[${JSON.stringify(queries[1])}]`)).toEqual({
        query: queries[1],
        hits: [4],
      });

      // 3. Everything is cached now: a second run skips it all and loads nothing.
      const second = await runCli(args, { env });
      expect(JSON.parse(second.stdout)).toMatchObject({
        total: keys.length,
        warmed: 0,
        skipped: keys.length,
      });
      expect(await loads()).toHaveLength(keys.length);

      // 4. --force loads every entry again.
      const forced = await runCli([...args, '--force'], { env });
      expect(JSON.parse(forced.stdout)).toMatchObject({
        total: keys.length,
        warmed: keys.length,
        skipped: 0,
      });
      expect(tally(await loads())).toEqual(Object.fromEntries(keys.map((k) => [k, 2])));

      await reader.close();
      await appCache.close();
    });
  });
});
