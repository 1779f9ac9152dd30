/**
 * The middleware across processes: 4 Express worker processes, each on its own loopback port, over real
 * memcached. One render per cold page cluster-wide, no cookie or 5xx shared between processes, and every
 * request answered while a memcached node hangs. On both protocols.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ResponseCacheStats } from '../../src/express/index.js';
import type { CacheStats } from '../../src/index.js';
import type { TestAppOptions } from '../fixtures/express-app.js';
import { httpGet } from '../support/http-get.js';
import {
  type MemcachedProcess,
  startCluster,
  startMemcached,
  stopAllMemcached,
} from '../support/memcached.js';
import { PROTOCOLS, type Protocol } from '../support/protocols.js';
import { killAllWorkers, spawnWorkers, type WorkerGroup } from '../support/workers.js';

const WORKER = fileURLToPath(new URL('../fixtures/express-worker.ts', import.meta.url));
let round = 0;

afterEach(killAllWorkers);
afterAll(stopAllMemcached);

interface Cluster {
  group: WorkerGroup;
  ports: number[];
  /** Asks every worker to exit; resolves with the renders and stats each reported. */
  stop(): Promise<
    Array<{ renders: Record<string, number>; stats: ResponseCacheStats; cacheStats: CacheStats }>
  >;
}

async function startWorkers(
  protocol: Protocol,
  nodes: MemcachedProcess[],
  app: TestAppOptions,
  count = 4,
): Promise<Cluster> {
  const group = await spawnWorkers(WORKER, {
    count,
    protocol,
    env: {
      SERVERS: nodes.map((n) => n.address).join(','),
      CACHE_OPTIONS: JSON.stringify({ namespace: `xc${round++}` }),
      APP_OPTIONS: JSON.stringify(app),
    },
  });
  const ports = Array.from(
    { length: count },
    (_, i) => group.messages(i).find((m) => m.type === 'listening')?.port,
  );
  return {
    group,
    ports: ports as number[],
    async stop() {
      for (let i = 0; i < count; i++) group.send(i, { type: 'exit' });
      const results = await group.done(20_000);
      return results.map((r) => r.messages.at(-1) as never);
    },
  };
}

interface Answer {
  status: number;
  xCache: string | null;
  cookie: string | null;
  body: string;
}

/**
 * `n` concurrent GETs of `path`, spread over the ports in turn, for one site (`Host`, which the key
 * covers), as a load balancer in front of the processes would send them.
 */
function burst(ports: number[], path: string, n: number): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await httpGet(`http://127.0.0.1:${ports[i % ports.length]}`, path, {
        host: 'shop.example',
      });
      const cookie = res.headers['set-cookie'];
      return {
        status: res.status,
        xCache: (res.headers['x-cache'] as string | undefined) ?? null,
        cookie: cookie ? cookie.join(', ') : null,
        body: res.body,
      };
    }),
  );
}

/** The `X-Cache` values of answers, counted. */
function count(answers: Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) counts[a.xCache ?? 'none'] = (counts[a.xCache ?? 'none'] ?? 0) + 1;
  return counts;
}
const rendersOf = (reports: Array<{ renders: Record<string, number> }>, path: string) =>
  reports.reduce((sum, r) => sum + (r.renders[path] ?? 0), 0);

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('4 Express worker processes behind one memcached', () => {
    it('render a cold 200 ms page once for 100 concurrent requests; all get the same 200', async () => {
      const node = await startMemcached();
      const cluster = await startWorkers(protocol, [node], { renderMs: 200, middleware: { lock: true } });
      expect(new Set(cluster.ports).size).toBe(4);
      const answers = await burst(cluster.ports, '/page/cold', 100);
      const reports = await cluster.stop();

      expect(rendersOf(reports, '/page/cold')).toBe(1);
      expect(answers.map((a) => a.status)).toEqual(new Array(100).fill(200));
      expect(new Set(answers.map((a) => a.body)).size).toBe(1);
      const statuses = count(answers);
      expect(statuses.MISS).toBe(1);
      expect((statuses.WAIT ?? 0) + (statuses.HIT ?? 0)).toBe(99);
      expect(statuses.WAIT).toBeGreaterThan(0);
      // Every process took part: the waiters in the three others polled memcached.
      expect(reports.every((r) => r.stats.miss + r.stats.wait + r.stats.hit === 25)).toBe(true);
    });

    it('never hand a cookie across requests or processes: waiters render for themselves at once', async () => {
      const node = await startMemcached();
      const cluster = await startWorkers(protocol, [node], { renderMs: 100, middleware: { lock: true } });
      const answers = await burst(cluster.ports, '/cookie/x', 40);
      const reports = await cluster.stop();
      for (const a of answers) {
        const render = a.body.split(' ').at(-1);
        expect(a.cookie).toMatch(new RegExp(`^sid=secret-${render};`)); // its own render's cookie, nobody else's
      }
      expect(count(answers)).toEqual({ MISS: 1, BYPASS: 39 });
      expect(rendersOf(reports, '/cookie/x')).toBe(40);
    });

    it('never share a 500: every request gets its own render, nothing is replayed', async () => {
      const node = await startMemcached();
      const cluster = await startWorkers(protocol, [node], { renderMs: 100, middleware: { lock: true } });
      const answers = await burst(cluster.ports, '/status/500', 40);
      const reports = await cluster.stop();
      expect(answers.every((a) => a.status === 500)).toBe(true);
      expect(Object.keys(count(answers)).sort()).toEqual(['BYPASS', 'MISS']);
      expect(new Set(answers.map((a) => a.body)).size).toBe(40); // 40 different renders
      expect(rendersOf(reports, '/status/500')).toBe(40);
    });
  });

  describe('a memcached node stopped mid-traffic', () => {
    it('leaves every request answered, during the stop and after SIGCONT', async () => {
      const nodes = await startCluster(2);
      const cluster = await startWorkers(protocol, nodes, { renderMs: 30, middleware: { ttl: 1 } });
      const answers: Answer[] = [];
      const rounds = async (n: number) => {
        for (let i = 0; i < n; i++) {
          const paths = Array.from({ length: 40 }, (_, k) => `/page/k${k % 20}`);
          answers.push(
            ...(await Promise.all(paths.map((p, k) => burst([cluster.ports[k % 4] as number], p, 1)))).flat(),
          );
        }
      };
      try {
        await rounds(2);
        nodes[0]?.stop();
        await rounds(4);
      } finally {
        nodes[0]?.cont();
      }
      await rounds(2);
      const reports = await cluster.stop();
      expect(answers).toHaveLength(320);
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      // The hung node was really in the way: calls to it timed out (until safe mode routed around it).
      expect(reports.reduce((sum, r) => sum + r.cacheStats.storeErrors, 0)).toBeGreaterThan(0);
    });
  });
});
