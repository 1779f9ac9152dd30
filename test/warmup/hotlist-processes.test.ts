/**
 * Acceptance 2: two processes serve through real memcached, each recording and writing its own hotlist;
 * the directory merged ranks keys by their combined counts x cost, which neither process's list shows.
 * On both protocols.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mergeHotlists, readHotlist } from '../../src/index.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS } from '../support/protocols.js';
import { killAllWorkers, spawnWorkers } from '../support/workers.js';

const WORKER = fileURLToPath(new URL('../fixtures/warmup-recorder-worker.ts', import.meta.url));
let node: MemcachedProcess;
let dir: string;

beforeAll(async () => {
  node = await startMemcached();
  dir = await mkdtemp(path.join(os.tmpdir(), 'sg-hotlists-'));
});
afterEach(killAllWorkers);
afterAll(async () => {
  await stopAllMemcached();
  await rm(dir, { recursive: true, force: true });
});

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('hotlists of several processes (acceptance 2)', () => {
    it('merges into the ranking of the combined counts', async () => {
      const hotlists = path.join(dir, protocol); // this run's hotlists only
      await mkdir(hotlists);
      const group = await spawnWorkers(WORKER, {
        count: 2,
        protocol,
        env: {
          SERVERS: node.address,
          HOTLIST_FILE: path.join(hotlists, 'hot-{pid}.json'),
          NAMESPACE: `m${Date.now()}`,
        },
      });
      // Item costs: 1 → 200 ms, 2 → 100 ms, 3 and 4 → 20 ms. Alone, process 0 would rank item 2 first and
      // process 1 item 1; combined: item 1 (10 x 200) > item 2 (14 x 100) > item 3 (25 x 20) > item 4. The
      // margins hold even if every load ran 80 ms late (a loaded machine's timers).
      group.send(0, {
        type: 'go',
        payload: {
          calls: [
            ['item', 3, 25],
            ['item', 2, 10],
            ['item', 1, 2],
            ['raw', 'plain', 5],
          ],
        },
      });
      group.send(1, {
        type: 'go',
        payload: {
          calls: [
            ['item', 1, 8],
            ['item', 2, 4],
            ['item', 4, 10],
            ['raw', 'plain', 5],
          ],
        },
      });
      const results = await group.done(30_000);
      expect(results.map((r) => r.code)).toEqual([0, 0]);
      const files = results.map((r) => String(r.messages.at(-1)?.file));
      expect(files.map((f) => path.dirname(f))).toEqual([hotlists, hotlists]);
      expect(new Set(files).size).toBe(2); // one file per process

      const merged = await readHotlist(hotlists);
      expect(merged.files.sort()).toEqual([...files].sort());
      expect(merged.entries.map((e) => [e.key, e.count])).toEqual([
        ['item:[1]', 10],
        ['item:[2]', 14],
        ['item:[3]', 25],
        ['item:[4]', 10],
        ['plain', 10],
      ]);
      expect(merged.entries[0]?.replay).toEqual({ kind: 'loader', name: 'item', args: [1] });
      expect(merged.entries.find((e) => e.key === 'plain')?.replay).toBeNull();

      // The merge is exactly the count-weighted combination of the two files.
      const perFile = await Promise.all(files.map((f) => readHotlist(f)));
      expect(merged.entries).toEqual(mergeHotlists(perFile.map((h) => h.entries)));
      for (const e of merged.entries) {
        const parts = perFile.flatMap((h) => h.entries.filter((x) => x.key === e.key));
        const impact = parts.reduce((sum, x) => sum + x.count * x.costMs, 0);
        expect(e.impactMs).toBeCloseTo(impact, 6);
      }
      // Each process's costs were measured by whichever process loaded the item (the cost travels in the entry).
      for (const e of merged.entries.filter((x) => x.key.startsWith('item:'))) {
        const nominal = { 'item:[1]': 200, 'item:[2]': 100, 'item:[3]': 20, 'item:[4]': 20 }[e.key] as number;
        expect(e.costMs).toBeGreaterThanOrEqual(nominal * 0.9);
      }
    });
  });
});
