/**
 * The demo's traffic: concurrent HTTP clients spread over the workers' ports, either a fixed burst or a
 * steady stream for a while, recording every request's latency and whether it failed. Every request names
 * the site (`Host: SITE`) as a load balancer in front of the workers would pass it on: pages are cached
 * per host, so the workers share one entry per page.
 */
import http from 'node:http';

/** The host every request names, as clients behind a load balancer do. */
export const SITE = 'shop.example';
const agent = new http.Agent({ keepAlive: true });

export interface LoadResult {
  latencies: number[];
  errors: number;
}

/** `total` requests at once, for the paths `pick(i)` chooses. */
export async function burst(
  ports: number[],
  total: number,
  pick: (i: number) => string,
): Promise<LoadResult> {
  const result: LoadResult = { latencies: [], errors: 0 };
  await Promise.all(
    Array.from({ length: total }, (_, i) => request(ports[i % ports.length] as number, pick(i), result)),
  );
  return result;
}

/** `clients` loops sending requests until `signal` aborts; each picks its next path with `pick()`. */
export async function steady(
  ports: number[],
  clients: number,
  pick: () => string,
  signal: AbortSignal,
  result: LoadResult = { latencies: [], errors: 0 },
): Promise<LoadResult> {
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (!signal.aborted) {
        await request(ports[c % ports.length] as number, pick(), result);
        await new Promise((resolve) => setTimeout(resolve, 2)); // a request rate, not a busy loop
      }
    }),
  );
  return result;
}

async function request(port: number, path: string, result: LoadResult): Promise<void> {
  const started = performance.now();
  try {
    const status = await get(port, path);
    if (status !== 200) result.errors++;
  } catch {
    result.errors++;
  }
  result.latencies.push(performance.now() - started);
}

/** A GET for `SITE` to one worker (fetch() cannot set Host); resolves the status once the body is read. */
function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path, agent, headers: { host: SITE }, timeout: 10_000 },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.once('error', reject);
  });
}

/** Product ids skewed like real traffic (about 1/rank): a few hot products, a long tail. */
export function zipfPicker(products: number, seed = 7): () => string {
  const weights = Array.from({ length: products }, (_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    let r = (state / 2 ** 31) * total;
    for (let i = 0; i < products; i++) {
      r -= weights[i] as number;
      if (r <= 0) return `/products/${i + 1}`;
    }
    return `/products/${products}`;
  };
}
