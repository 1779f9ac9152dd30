/**
 * One web worker of the demo: serves "requests" for keys over a slow simulated database, either with a
 * hand-written cache-aside (memjs get, on a miss query and set: what most apps do) or with stampede-guard.
 */
import memjs from 'memjs';
import { createCache } from '../../src/index.js';
import { finish, onGo, ready } from '../../test/support/worker-runtime.js';

interface Job {
  mode: 'unprotected' | 'stampede-guard';
  /** Keys each request picks from, in turn. */
  keys: string[];
  /** Concurrent requests in flight. */
  concurrency: number;
  /** Requests per connection loop, or run for durationMs. */
  requests?: number;
  durationMs?: number;
  queryMs: number;
  ttl: number;
  grace: number;
}

const servers = (process.env.SERVERS ?? '').split(',');
let queries = 0;
const database = async (key: string, queryMs: number) => {
  queries++;
  await new Promise((resolve) => setTimeout(resolve, queryMs));
  return { key, rows: [1, 2, 3], at: Date.now() };
};

function unprotected(job: Job) {
  const client = memjs.Client.create(servers.join(','), { logger: { log: () => {} }, retries: 1 });
  return {
    async serve(key: string) {
      const { value } = await client.get(key);
      if (value) return JSON.parse(value.toString());
      const row = await database(key, job.queryMs);
      await client.set(key, JSON.stringify(row), { expires: job.ttl });
      return row;
    },
    close: async () => client.close(),
  };
}

function guarded(job: Job) {
  const cache = createCache({
    servers,
    namespace: 'demo',
    ttl: job.ttl,
    grace: job.grace,
    safeMode: 'always',
  });
  return {
    serve: (key: string) => cache.wrap(key, () => database(key, job.queryMs)),
    close: () => cache.close(),
  };
}

onGo(async (payload) => {
  const job = payload as Job;
  const app = job.mode === 'unprotected' ? unprotected(job) : guarded(job);
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const deadline = job.durationMs ? performance.now() + job.durationMs : Number.POSITIVE_INFINITY;
  const loop = async (requests: number) => {
    for (let i = 0; i < requests && performance.now() < deadline; i++) {
      const key = job.keys[next++ % job.keys.length] as string;
      const started = performance.now();
      try {
        await app.serve(key);
      } catch {
        errors++;
      }
      latencies.push(performance.now() - started);
    }
  };
  const perLoop = job.requests ?? Number.POSITIVE_INFINITY;
  await Promise.all(Array.from({ length: job.concurrency }, () => loop(perLoop)));
  await app.close();
  await finish({ queries, latencies, errors });
});

await ready();
