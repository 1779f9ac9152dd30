/**
 * The demo's database: one HTTP server every worker queries, so queries are counted across the whole
 * cluster. It drowns like a real one: each query takes `baseMs`, stretched by the number of queries
 * running at the same time, so a stampede makes every query slower for everyone.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';

export interface DatabaseCounters {
  queries: number;
  repeats: number;
  peakConcurrent: number;
  queryStartsMs: number[];
}

export interface Database {
  url: string;
  /**
   * Since the last reset: queries, how many asked for a product already queried (repeats), peak concurrency,
   * and when each query started (ms after the reset, for the report's queries-over-time chart).
   */
  counters(): DatabaseCounters;
  reset(): void;
  close(): Promise<void>;
}

export async function startDatabase(baseMs: number): Promise<Database> {
  let running = 0;
  let queries = 0;
  let peakConcurrent = 0;
  const seen = new Set<string>();
  let repeats = 0;
  let resetAt = performance.now();
  let queryStartsMs: number[] = [];
  const server: Server = createServer(async (req, res) => {
    queries++;
    queryStartsMs.push(performance.now() - resetAt);
    const product = new URL(req.url ?? '/', 'http://db').searchParams.get('product') ?? '';
    if (seen.has(product)) repeats++;
    seen.add(product);
    running++;
    peakConcurrent = Math.max(peakConcurrent, running);
    // Contention: every 10 queries in flight add another base time to each of them.
    await new Promise((resolve) => setTimeout(resolve, baseMs * (1 + running / 10)));
    running--;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ id: product, name: `Product ${product}`, price: 10 + Number(product) }));
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    counters: () => ({ queries, repeats, peakConcurrent, queryStartsMs: queryStartsMs.slice() }),
    reset() {
      resetAt = performance.now();
      queryStartsMs = [];
      queries = 0;
      repeats = 0;
      seen.clear();
      peakConcurrent = running;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
