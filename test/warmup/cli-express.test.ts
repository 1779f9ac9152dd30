/**
 * Acceptance 3, end to end: two processes of an Express app (test/fixtures/warmup-app.ts) serve pages
 * through three real memcached nodes and record hotlists. Every node restarts empty; `cache-warmup` runs
 * from the merged hotlists against one app process while live traffic hits the same pages on both.
 * Afterwards every top page is a hit, and no page rendered more than once. On both protocols.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readHotlist } from '../../src/index.js';
import { httpGet } from '../support/http-get.js';
import { type MemcachedProcess, startCluster, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS } from '../support/protocols.js';
import { killAllWorkers, spawnWorkers, type WorkerGroup } from '../support/workers.js';
import { runCli } from './cli-runner.js';

const APP = fileURLToPath(new URL('../fixtures/warmup-app.ts', import.meta.url));
const PAGES = 40;
const TOP = 20;
let nodes: MemcachedProcess[];
let dir: string;
let nonce = 0;

beforeAll(async () => {
  nodes = await startCluster(3);
  dir = await mkdtemp(path.join(os.tmpdir(), 'sg-warmup-app-'));
});
afterEach(killAllWorkers);
afterAll(async () => {
  await stopAllMemcached();
  await rm(dir, { recursive: true, force: true });
});

/** Sends `type` to every app process and resolves their replies. */
async function ask(group: WorkerGroup, type: string): Promise<Array<Record<string, unknown>>> {
  const id = ++nonce;
  const replies = Array.from({ length: group.count }, (_, i) => {
    group.send(i, { type, nonce: id });
    return group.waitFor((m, index) => index === i && m.type === `${type}:done` && m.nonce === id, 15_000);
  });
  return (await Promise.all(replies)).map((r) => r.msg);
}

/** The site both processes serve, behind a load balancer that keeps the Host (the key covers it). */
const SITE = 'shop.example';

async function get(baseUrl: string, path: string): Promise<string | null> {
  const response = await httpGet(baseUrl, path, { host: SITE });
  if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}`);
  return (response.headers['x-cache'] as string | undefined) ?? null;
}

/** Runs `count` concurrent loops over `urls` in `order` until `stop` resolves. */
async function traffic(
  bases: string[],
  urls: string[],
  count: number,
  stop: Promise<unknown>,
): Promise<number> {
  let done = false;
  void stop.then(() => {
    done = true;
  });
  let requests = 0;
  await Promise.all(
    Array.from({ length: count }, async (_, lane) => {
      for (let i = lane; !done; i++) {
        await get(bases[i % bases.length] as string, urls[(i * 7 + lane) % urls.length] as string);
        requests++;
      }
    }),
  );
  return requests;
}

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('cache-warmup against an Express app after every memcached node restarted (acceptance 3)', () => {
    it('makes the top pages hits, rendering each once, with live traffic during the warmup', async () => {
      const hotlists = await mkdtemp(path.join(dir, `${protocol}-`)); // this attempt's hotlists only
      const group = await spawnWorkers(APP, {
        count: 2,
        protocol,
        env: {
          SERVERS: nodes.map((n) => n.address).join(','),
          HOTLIST_FILE: path.join(hotlists, 'app-{pid}.json'),
          NAMESPACE: `shop${Date.now()}`,
        },
      });
      const bases = [0, 1].map((i) => {
        const { port } = group.messages(i).find((m) => m.type === 'listening') as unknown as { port: number };
        return `http://127.0.0.1:${port}`;
      });

      // 1. Traffic with a skew: page i is requested PAGES - i times, spread over both processes.
      const requests = Array.from({ length: PAGES }, (_, i) => Array(PAGES - i).fill(`/item/${i}`)).flat();
      await Promise.all(
        Array.from({ length: 8 }, async (_, lane) => {
          for (let r = lane; r < requests.length; r += 8)
            await get(bases[r % 2] as string, requests[r] as string);
        }),
      );
      await ask(group, 'flush');
      const hotlist = await readHotlist(hotlists);
      expect(hotlist.files).toHaveLength(2);
      expect(hotlist.entries).toHaveLength(PAGES);
      // Counts are exact (summed over both files); the rank is count x render cost (100 to 180 ms by id).
      expect(Object.fromEntries(hotlist.entries.map((e) => [e.key, e.count]))).toEqual(
        // The middleware keys pages as `http:<scheme>://<host><path>`; the replay carries that URL.
        Object.fromEntries(
          Array.from({ length: PAGES }, (_, i) => [`http:http://${SITE}/item/${i}`, PAGES - i]),
        ),
      );
      expect(hotlist.entries.every((e) => e.replay?.kind === 'url' && `http:${e.replay.url}` === e.key)).toBe(
        true,
      );
      const top = hotlist.entries.slice(0, TOP).map((e) => e.key.slice(`http:http://${SITE}`.length));

      // 2. Every memcached node restarts, empty.
      await Promise.all(nodes.map((n) => n.restart()));
      await ask(group, 'settle');
      await ask(group, 'reset');

      // 3. The warmup, against process 0, while live traffic hits the top pages on both processes once
      //    the warmup has started rendering.
      const cli = runCli(
        [
          '--hotlist',
          hotlists,
          '--base-url',
          bases[0] as string,
          '--top',
          String(TOP),
          '--concurrency',
          '4',
          '--rate',
          '0',
          '--json',
        ],
        { timeoutMs: 60_000 },
      );
      const warmupStarted = (async () => {
        for (;;) {
          const [first] = await ask(group, 'renders');
          if (Object.keys(first?.renders as object).length > 0) return;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      const live = warmupStarted.then(() => traffic(bases, top, 6, cli));
      const result = await cli;
      const liveRequests = await live;

      expect(result.code, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout);
      expect(summary).toMatchObject({ ok: true, total: TOP, failed: 0, notRun: 0, interrupted: false });
      expect(summary.warmed + summary.skipped).toBe(TOP);
      expect(summary.warmed).toBeGreaterThan(0);
      expect(liveRequests).toBeGreaterThan(0);

      // 4. Every top page is a hit on both processes, and was rendered exactly once since the restart.
      //    A failed check names what each process saw of memcached (node events, store errors).
      const afterWarmup = await ask(group, 'renders');
      const why = afterWarmup
        .map((reply, i) => `process ${i}: ${(reply.incidents as string[]).join('; ') || 'no incident'}`)
        .join('\n');
      for (const [i, base] of bases.entries()) {
        for (const url of top) {
          expect(`process ${i} ${url} ${await get(base, url)}`, why).toBe(`process ${i} ${url} HIT`);
        }
      }
      const renders: Record<string, number> = {};
      for (const reply of afterWarmup) {
        for (const [url, n] of Object.entries(reply.renders as Record<string, number>))
          renders[url] = (renders[url] ?? 0) + n;
      }
      expect(Object.fromEntries(top.map((url) => [url, renders[url]])), why).toEqual(
        Object.fromEntries(top.map((url) => [url, 1])),
      );
      expect(Math.max(...Object.values(renders)), why).toBe(1);
    });
  });
});
