/**
 * A benchmark worker process: on each `go` it runs one cold-key round with N concurrent callers through
 * one strategy and reports per-caller latencies and how often its simulated database loader ran.
 * The clients are created and connected once, before `ready`, so rounds measure the read path only.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CacheStats } from '../../src/index.js';
import { library } from '../lib/library.js';

const { createCache, MemcachedStore } = library;

import { finish, onGo, onMessage, ready, report, workerIndex } from '../../test/support/worker-runtime.js';
import type { RoundPayload, RoundReport, Strategy } from '../lib/protocol.js';

const servers = (process.env.BENCH_SERVERS ?? '').split(',').filter(Boolean);
if (servers.length === 0) throw new Error('cold-key-worker: BENCH_SERVERS is empty');
const TTL_SECONDS = 300;

// (a) No protection: memjs-style get, and on a miss load then set. Same pool and timeouts as the library.
const store = new MemcachedStore({
  servers: servers.map((address) => ({ address, weight: 1 })),
  opTimeoutMs: 250,
});
// (b) In-process coalescing only, (c) the full protocol with the cross-process safe- lock.
// BENCH_PROTOCOL: the transport of both caches (the plain baseline stays on memjs).
const protocol = process.env.BENCH_PROTOCOL === 'meta' ? 'meta' : 'binary';
const caches = {
  coalesce: createCache({ servers, protocol, safeMode: 'off', ttl: TTL_SECONDS }),
  'stampede-guard': createCache({ servers, protocol, safeMode: 'always', ttl: TTL_SECONDS }),
};

interface Row {
  key: string;
  by: number;
  body: string;
}

let loads = 0;
let loaderDurations: number[] = [];
let loaderStarts: number[] = [];
let goAt = 0;
const waiting = { waits: 0, waitReads: 0, waitedMs: 0 };
caches['stampede-guard'].on('wait:done', (e) => {
  waiting.waits++;
  // 0.1 reported no reads: the same-run baseline on the old code shows "-" for them.
  waiting.waitReads += (e as { reads?: number }).reads ?? Number.NaN;
  waiting.waitedMs += e.waitedMs;
});

/** The simulated database: sleeps, counts its calls, returns a small row naming the key. */
function databaseLoader(key: string, loaderMs: number): () => Promise<Row> {
  return async () => {
    loads++;
    const started = performance.now();
    loaderStarts.push(started - goAt);
    await sleep(loaderMs);
    loaderDurations.push(performance.now() - started);
    return { key, by: process.pid, body: 'x'.repeat(64) };
  };
}

async function plainRead(key: string, loader: () => Promise<Row>): Promise<Row> {
  const bytes = await store.get(key);
  if (bytes) return JSON.parse(bytes.toString('utf8')) as Row;
  const row = await loader();
  await store.set(key, Buffer.from(JSON.stringify(row)), TTL_SECONDS);
  return row;
}

function reader(strategy: Strategy): (key: string, loader: () => Promise<Row>) => Promise<Row> {
  if (strategy === 'plain') return plainRead;
  const cache = caches[strategy];
  return (key, loader) => cache.wrap(key, loader);
}

/** How each counter moved during the round (flags such as `safeModeActive` are not counters). */
function statsDiff(before: CacheStats, after: CacheStats): Record<string, number> {
  const diff: Record<string, number> = {};
  for (const [name, value] of Object.entries(after)) {
    const previous = before[name as keyof CacheStats];
    if (typeof value !== 'number' || typeof previous !== 'number') continue;
    if (value !== previous) diff[name] = value - previous;
  }
  return diff;
}

onGo(async (raw) => {
  goAt = performance.now();
  const goWallMs = performance.timeOrigin + goAt;
  const round = raw as RoundPayload;
  loads = 0;
  loaderDurations = [];
  loaderStarts = [];
  Object.assign(waiting, { waits: 0, waitReads: 0, waitedMs: 0 });
  const cache = round.strategy === 'plain' ? undefined : caches[round.strategy];
  const before = cache?.stats();
  const read = reader(round.strategy);
  const loader = databaseLoader(round.key, round.loaderMs);

  const latencies: number[] = [];
  let errors = 0;
  let wrongValues = 0;
  let firstError: string | undefined;
  const callers = Array.from({ length: round.callers }, async () => {
    try {
      const row = await read(round.key, loader);
      latencies.push(performance.now() - goAt);
      if (row?.key !== round.key) wrongValues++;
    } catch (error) {
      errors++;
      firstError ??= error instanceof Error ? error.message : String(error);
    }
  });
  await Promise.all(callers);

  const result: RoundReport = {
    id: round.id,
    strategy: round.strategy,
    worker: workerIndex,
    pid: process.pid,
    latencies,
    loads,
    loaderDurations,
    loaderStarts,
    errors,
    wrongValues,
    goWallMs,
    ...waiting,
    ...(firstError === undefined ? {} : { firstError }),
    ...(cache && before ? { stats: statsDiff(before, cache.stats()) } : {}),
  };
  await report({ type: 'round', ...result });
});

onMessage(async (msg) => {
  if (msg.type !== 'exit') return;
  await Promise.all([store.close(), caches.coalesce.close(), caches['stampede-guard'].close()]);
  await finish({ worker: workerIndex });
});

// Open every connection before the first round (memjs connects lazily).
await Promise.all([
  store.get('bench:connect'),
  caches.coalesce.get('bench:connect'),
  caches['stampede-guard'].get('bench:connect'),
]);
await ready();
